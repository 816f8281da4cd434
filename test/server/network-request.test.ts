// A real daemon over real gRPC: a request's limits.network on an agent without a policy is refused; egress fields flow out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriRpcError, type TaskRequestInit } from '../../src/client/ari-client.js';
import { EXIT, type Io } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { wasmAgentToml } from '../helpers/agents-toml.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

let d: TestDaemon;
beforeAll(async () => { d = await startTestDaemon(wasmAgentToml('math', 'math/math.wasm')); });
afterAll(async () => { await d?.stop(); });

const INPUT = '{"operation":"add","operands":[1,2]}';
const task = (limits?: TaskRequestInit['limits']): TaskRequestInit => ({ agent_id: 'math', capability: 'arithmetic', input: INPUT, limits });

async function refusal(req: TaskRequestInit): Promise<AriRpcError> {
  try {
    await d.client.executeTask(req);
  } catch (e) {
    return e as AriRpcError;
  }
  throw new Error('expected INVALID_ARGUMENT, the task ran');
}

function captureIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), readStdin: async () => '' };
}

describe('limits.network on the wire', () => {
  it('an agent with no network policy refuses a request naming an allowlist: INVALID_ARGUMENT, nothing runs', async () => {
    const e = await refusal({ ...task({ network: { allow: ['127.0.0.1:8080'] } }), task_id: 'net-refused-1' });
    expect(e).toBeInstanceOf(AriRpcError);
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatch(/network/);
    // Refused before it became a task: the id is unknown to the daemon.
    await expect(d.client.getTask('net-refused-1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a list past the entry cap is refused at the edge, naming the index', async () => {
    const allow = Array.from({ length: 65 }, (_, i) => `h${i}.example.com:443`);
    const e = await refusal(task({ network: { allow } }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toContain('limits.network.allow[64]: too many entries');
  });

  it('an empty list on an agent without a policy asks for what it has: the task runs as before, with zero egress and an empty log', async () => {
    const r = await d.client.executeTask(task({ network: { allow: [] } }));
    expect(r.status).toBe('COMPLETED');
    expect(r.usage).toMatchObject({ egress_bytes: 0, egress_connections: 0 });
    expect(r.egress_log).toEqual([]);
    expect(r.egress_log_dropped).toBe(0);
    expect(r.limits!.network).toBeNull();
    const m = await d.client.getManifest('math');
    expect(m.limits!.network).toBeNull();
    expect(r.limits!.egress_bytes).toBe(m.limits!.egress_bytes);
    expect(r.limits!.egress_connections).toBe(m.limits!.egress_connections);
  });
});

describe('ari task --allow against the daemon', () => {
  it('submit --allow on an agent without a policy: the refusal is printed, exit 3', async () => {
    const io = captureIo();
    const code = await main(['task', 'submit', '--target', d.handle.address, '--agent', 'math', '--capability', 'arithmetic',
      '--input', INPUT, '--allow', '127.0.0.1:8080', '--allow', 'api.example.com:443'], io);
    expect(code, io.stderr.join('\n')).toBe(EXIT.RPC);
    expect(io.stderr.join('\n')).toMatch(/INVALID_ARGUMENT.*network/s);
  });

  it('a malformed --allow is a usage error before any RPC, exit 2', async () => {
    const io = captureIo();
    const code = await main(['task', 'submit', '--target', d.handle.address, '--agent', 'math', '--capability', 'arithmetic',
      '--input', INPUT, '--allow', 'api.example.com'], io);
    expect(code).toBe(EXIT.USAGE);
    expect(io.stderr.join('\n')).toContain('invalid --allow "api.example.com": missing :PORT');
  });

  it('task get -o json carries the egress usage and log of a task', async () => {
    const r = await d.client.executeTask(task());
    const io = captureIo();
    expect(await main(['task', 'get', r.task_id, '--target', d.handle.address, '-o', 'json'], io)).toBe(EXIT.OK);
    const json = JSON.parse(io.stdout.join('\n'));
    expect(json.usage).toMatchObject({ egress_bytes: 0, egress_connections: 0 });
    expect(json.egress_log).toEqual([]);
    expect(json.egress_log_dropped).toBe(0);
    // Without network, human output is unchanged: the output alone, no egress lines.
    const human = captureIo();
    expect(await main(['task', 'get', r.task_id, '--target', d.handle.address], human)).toBe(EXIT.OK);
    expect(human.stdout).toEqual(['3']);
    expect(human.stderr.join('\n')).not.toContain('egress');
  });
});
