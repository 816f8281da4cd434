// INVALID_ARGUMENT messages quote 64-bit numbers exactly as the client sent them (2^63, not 9223372036854776000).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriRpcError } from '../../src/client/ari-client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { wasmAgentToml } from '../helpers/agents-toml.js';

let d: TestDaemon;
beforeAll(async () => { d = await startTestDaemon(wasmAgentToml('math', 'math/math.wasm')); });
afterAll(async () => { await d?.stop(); });

async function refusal(limits: Record<string, string | number>): Promise<AriRpcError> {
  const input = '{"operation":"add","operands":[1,2]}';
  try {
    // uint64 fields take decimal strings on the wire: exactly what a client in another language would send.
    await d.client.executeTask({ agent_id: 'math', capability: 'arithmetic', input, limits: limits as never });
  } catch (e) {
    return e as AriRpcError;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('numbers in INVALID_ARGUMENT messages', () => {
  it.each(['9223372036854775808', '18446744073709551615', '9007199254740993'])('limits.timeout_ms = %s is quoted digit for digit', async (n) => {
    const e = await refusal({ timeout_ms: n });
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toContain(`limits.timeout_ms: ${n} is not a valid value`);
  });

  it('every 64-bit limit field is checked the same way', async () => {
    for (const field of ['memory_bytes', 'cpu_millis', 'fuel', 'pids', 'output_bytes']) {
      const e = await refusal({ [field]: '9223372036854775807' });
      expect(e.details, field).toContain(`limits.${field}: 9223372036854775807 is not a valid value`);
    }
  });

  it('a safe value above the ceiling names both numbers exactly', async () => {
    const e = await refusal({ memory_bytes: '9007199254740991' });
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toContain('9007199254740991');
  });
});
