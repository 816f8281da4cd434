// Every backend declares what enforces each limit; admission refuses a limit the task's backend cannot enforce.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriRpcError } from '../../src/client/ari-client.js';
import { formatEnforcement, formatHealth } from '../../src/cli/format.js';
import { CEILING_LIMITS, DEFAULT_LIMITS, LIMIT_KEYS, LIMIT_TABLE } from '../../src/contract/limits.js';
import { resolveLimits } from '../../src/core/limits-resolver.js';
import { dockerEnforces } from '../../src/runtimes/docker/enforcement.js';
import { NATIVE_ENFORCES } from '../../src/runtimes/native/enforcement.js';
import type { LimitEnforcement } from '../../src/runtimes/runtime.js';
import { WASM_ENFORCES } from '../../src/runtimes/wasm/enforcement.js';
import { backendToWire } from '../../src/server/wire-convert.js';
import { MATH_WASM_AND_NATIVE } from '../helpers/agents-toml.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const DECLARED: Record<string, LimitEnforcement> = {
  wasm: WASM_ENFORCES, native: NATIVE_ENFORCES, 'docker (task cgroups)': dockerEnforces(true), 'docker (systemd driver)': dockerEnforces(false),
};

describe('declared enforcement', () => {
  it('names a mechanism (or null) for every limit row on every backend; time, memory and output are enforced everywhere', () => {
    for (const [backend, e] of Object.entries(DECLARED)) {
      expect(Object.keys(e).sort(), backend).toEqual([...LIMIT_KEYS].sort());
      for (const k of LIMIT_KEYS) expect(e[k] === null || (typeof e[k] === 'string' && e[k]!.length > 0), `${backend} ${k}`).toBe(true);
      for (const k of ['timeoutMs', 'memoryBytes', 'outputBytes'] as const) expect(e[k], `${backend} ${k}`).not.toBeNull();
    }
    expect(WASM_ENFORCES.pids).toBeNull();
    expect(NATIVE_ENFORCES.fuel).toBeNull();
    expect(dockerEnforces(false).cpuMillis).toBeNull();
  });

  it('a request setting an unenforceable limit is refused naming the limit and the backend; an unset one is no error', () => {
    const on = (name: 'wasm' | 'native' | 'docker', enforces: LimitEnforcement) => ({ name, enforces });
    expect(() => resolveLimits(DEFAULT_LIMITS, CEILING_LIMITS, {}, { pids: 4 }, on('wasm', WASM_ENFORCES)))
      .toThrow('limits.pids: pids is not enforced by the wasm backend');
    expect(() => resolveLimits(DEFAULT_LIMITS, CEILING_LIMITS, {}, { fuel: 5 }, on('native', NATIVE_ENFORCES)))
      .toThrow('limits.fuel: fuel is not enforced by the native backend');
    expect(() => resolveLimits(DEFAULT_LIMITS, CEILING_LIMITS, {}, { cpuMillis: 5 }, on('docker', dockerEnforces(false))))
      .toThrow('limits.cpu_millis: cpu_millis is not enforced by the docker backend');
    expect(resolveLimits(DEFAULT_LIMITS, CEILING_LIMITS, {}, { pids: 0, timeoutMs: 100 }, on('wasm', WASM_ENFORCES)))
      .toEqual({ ...DEFAULT_LIMITS, timeoutMs: 100 });
    expect(resolveLimits(DEFAULT_LIMITS, CEILING_LIMITS, {}, { pids: 4 }, on('native', NATIVE_ENFORCES)).pids).toBe(4);
  });

  it('GetHealth carries one entry per limit row ("" = not enforced) and `ari health` prints them as a table', () => {
    const wire = backendToWire({ runtime: 'wasm', available: true, reason: '', features: {} }, 0, 0, WASM_ENFORCES);
    expect(Object.keys(wire.enforces)).toEqual(LIMIT_TABLE.map((r) => r.wire));
    expect(wire.enforces).toMatchObject({ pids: '', fuel: 'instrumented fuel' });
    const native = backendToWire({ runtime: 'native', available: true, reason: '', features: {} }, 0, 0, NATIVE_ENFORCES);
    const text = formatEnforcement({ serving: true, version: '1', uptime_ms: 0, backends: [wire, native] });
    expect(text.split('\n')[0]).toMatch(/^LIMIT\s+WASM ENFORCES\s+NATIVE ENFORCES$/);
    expect(text).toMatch(/\npids\s+-\s+RLIMIT_NPROC \+ pids cgroup/);
    expect(text).toMatch(/\nfuel\s+instrumented fuel\s+-/);
  });
});

describe('a real daemon refuses what a backend cannot enforce', () => {
  let d: TestDaemon;
  // A uid range of its own, so test files running in parallel never share sandbox uids.
  beforeAll(async () => { d = await startTestDaemon(`[runtimes.native]\nuid_start = 2710000\nuid_count = 8\n${MATH_WASM_AND_NATIVE}`); }, 60_000);
  afterAll(async () => { await d?.stop(); });

  const submit = (agent: string, limits: Record<string, number>) => d.client.executeTask({
    agent_id: agent, capability: 'arithmetic', input: JSON.stringify({ operation: 'add', operands: [1, 2] }), limits,
  });
  async function refusal(p: Promise<unknown>): Promise<AriRpcError> {
    const e = await p.then(() => undefined, (err: unknown) => err);
    expect(e, 'the request should have been refused').toBeInstanceOf(AriRpcError);
    return e as AriRpcError;
  }

  it('INVALID_ARGUMENT for pids on wasm and fuel on native; the same tasks run when they do not ask', async () => {
    const wasm = await refusal(submit('math', { pids: 4 }));
    expect(wasm.code).toBe('INVALID_ARGUMENT');
    expect(wasm.details).toContain('pids is not enforced by the wasm backend');
    const native = await refusal(submit('math-native', { fuel: 1000 }));
    expect(native.code).toBe('INVALID_ARGUMENT');
    expect(native.details).toContain('fuel is not enforced by the native backend');
    expect((await submit('math', { timeout_ms: 5000 })).status).toBe('COMPLETED');
    expect((await submit('math-native', { pids: 8 })).status).toBe('COMPLETED');
  });

  it('GetHealth reports every backend\'s mechanism per limit', async () => {
    const h = await d.client.getHealth();
    const by = Object.fromEntries(h.backends.map((b) => [b.runtime, b.enforces]));
    expect(by.wasm).toMatchObject({ timeout_ms: WASM_ENFORCES.timeoutMs, pids: '' });
    expect(by.native).toMatchObject({ memory_bytes: NATIVE_ENFORCES.memoryBytes, fuel: '' });
    expect(Object.keys(by.docker ?? {})).toEqual(LIMIT_TABLE.map((r) => r.wire));
    expect(formatHealth(h)).toContain('WASM ENFORCES');
  });
});
