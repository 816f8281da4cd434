// Issue 2 end to end: a real daemon over real gRPC running real wasm shows every status and every refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriRpcError } from '../../src/client/ari-client.js';
import { json, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { wasmAgentToml } from '../helpers/agents-toml.js';

const hostile = (name: string, limits = '') =>
  `[[agents]]\nid = "${name}"\nruntime = "wasm"\nmodule = "{{FIXTURES}}/wasm-hostile/${name}.wasm"\nmanifest = "{{FIXTURES}}/wasm-hostile/manifest.json"\n[agents.limits]\ntimeout_ms = "1s"\n${limits}\n`;

const TOML = `
[runtimes.wasm]
workers = 2
concurrency = 2
queue = 4
${wasmAgentToml('math', 'math/math.wasm')}${wasmAgentToml('math-wasi', 'math/math-wasi.wasm')}${['loop', 'recursion', 'grow-bomb', 'flood', 'trap', 'bad-result', 'bad-length'].map((n) => hostile(n)).join('')}
${hostile('loop', 'fuel = 1000000').replace('id = "loop"', 'id = "loop-fuel"')}
`;

let d: TestDaemon;
beforeAll(async () => { d = await startTestDaemon(TOML); });
afterAll(async () => { await d?.stop(); });

const math = (input: unknown, extra: Record<string, unknown> = {}) =>
  d.client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: JSON.stringify(input), ...extra });
const run = (agent: string, limits?: Record<string, number>) =>
  d.client.executeTask({ agent_id: agent, capability: 'run', input: '{}', limits });

async function rpcError(p: Promise<unknown>): Promise<AriRpcError> {
  try {
    await p;
  } catch (e) {
    return e as AriRpcError;
  }
  throw new Error('expected an RPC error');
}

describe('wasm daemon: outcomes', () => {
  it('COMPLETED: 7 × 6 = 42, statistics, and the WASI build', async () => {
    const r = await math({ operation: 'multiply', operands: [7, 6] });
    expect(r.status).toBe('COMPLETED');
    expect(json(r.output)).toEqual({ result: 42 });
    expect(r.usage!.fuel_consumed).toBeGreaterThan(0);
    const s = await d.client.executeTask({ agent_id: 'math', capability: 'statistics', input: '{"operation":"stddev","values":[2,4,4,4,5,5,7,9]}' });
    expect(json(s.output)).toEqual({ result: 2 });
    const w = await d.client.executeTask({ agent_id: 'math-wasi', capability: 'arithmetic', input: '{"operation":"add","operands":[1,2]}' });
    expect(w.status).toBe('COMPLETED');
    expect(json(w.output)).toEqual({ result: 3 });
  });

  it('FAILED AGENT_ERROR on division by zero', async () => {
    const r = await math({ operation: 'divide', operands: [1, 0] });
    expect(r.status).toBe('FAILED');
    expect(r.error).toMatchObject({ code: 'AGENT_ERROR', message: 'division by zero' });
  });

  it('fuel_consumed is identical across runs', async () => {
    const a = await math({ operation: 'add', operands: [1, 2, 3] });
    const b = await math({ operation: 'add', operands: [1, 2, 3] });
    expect(a.usage!.fuel_consumed).toBe(b.usage!.fuel_consumed);
  });

  // The precise overshoot is a product figure (`ari conformance` measures it); here only a sanity bound a loaded host keeps.
  it('TIMEOUT for a call-free infinite loop, within ~1 s past the deadline', async () => {
    const r = await run('loop', { timeout_ms: 300 });
    expect(r.status).toBe('TIMEOUT');
    expect(r.usage!.wall_ms).toBeGreaterThanOrEqual(300);
    expect(r.usage!.wall_ms).toBeLessThan(300 + 1_000);
  });

  it('OUT_OF_FUEL reports exactly the budget consumed', async () => {
    const r = await run('loop-fuel');
    expect(r.status).toBe('OUT_OF_FUEL');
    expect(r.usage!.fuel_consumed).toBe(1_000_000);
    const tighter = await run('loop-fuel', { fuel: 5000 });
    expect(tighter.usage!.fuel_consumed).toBe(5000);
  });

  it('OUT_OF_MEMORY for a memory.grow bomb', async () => {
    const r = await run('grow-bomb', { memory_bytes: 8 * 1024 * 1024 });
    expect(r.status).toBe('OUT_OF_MEMORY');
    expect(r.usage!.peak_memory_bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  it('OUTPUT_LIMIT for a flood', async () => {
    expect((await run('flood', { output_bytes: 4096 })).status).toBe('OUTPUT_LIMIT');
  });

  it('FAILED CRASHED for a trap and for runaway recursion', async () => {
    const t = await run('trap');
    expect(t.status).toBe('FAILED');
    expect(t.error!.code).toBe('CRASHED');
    expect(t.error!.message).toMatch(/unreachable/);
    const r = await run('recursion');
    expect(r.status).toBe('FAILED');
    expect(r.error!.code).toBe('CRASHED');
  });

  it('FAILED BAD_OUTPUT for malformed results', async () => {
    expect((await run('bad-result')).error!.code).toBe('BAD_OUTPUT');
    expect((await run('bad-length')).status).toBe('FAILED');
  });

  it('CANCELLED through CancelTask', async () => {
    const sub = await d.client.submitTask({ agent_id: 'loop', capability: 'run', input: '{}', task_id: 'cancel-me' });
    expect(['QUEUED', 'RUNNING']).toContain(sub.status);
    await new Promise((r) => setTimeout(r, 50));
    const c = await d.client.cancelTask('cancel-me');
    expect(c.status).toBe('CANCELLED');
    expect((await d.client.getTask('cancel-me')).status).toBe('CANCELLED');
  });

  it('StreamUpdates delivers the lifecycle and replays a finished task', async () => {
    await d.client.submitTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":"add","operands":[2,2]}', task_id: 'watched' });
    const seen: string[] = [];
    for await (const u of d.client.streamUpdates('watched')) seen.push(u.status);
    expect(seen.at(-1)).toBe('COMPLETED');
    const replay: string[] = [];
    for await (const u of d.client.streamUpdates('watched')) replay.push(`${u.kind}:${u.status}`);
    expect(replay).toEqual(['result:COMPLETED']);
  });
});

describe('wasm daemon: refusals', () => {
  it('INVALID_ARGUMENT for bad JSON and schema violations, naming the problem', async () => {
    const bad = await rpcError(d.client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":' }));
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect(bad.details).toMatch(/not valid JSON/);
    const schema = await rpcError(math({ operation: 'pow', operands: [1, 2] }));
    expect(schema.code).toBe('INVALID_ARGUMENT');
    expect(schema.details).toMatch(/input\/operation/);
  });

  it('INVALID_ARGUMENT for a limit above the ceiling', async () => {
    const e = await rpcError(math({ operation: 'add', operands: [1, 2] }, { limits: { timeout_ms: 10 ** 9 } }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatch(/timeout_ms/);
  });

  it('NOT_FOUND for unknown agents, capabilities and task ids', async () => {
    expect((await rpcError(d.client.executeTask({ agent_id: 'nope', capability: 'x', input: '{}' }))).code).toBe('NOT_FOUND');
    expect((await rpcError(d.client.executeTask({ agent_id: 'math', capability: 'poetry', input: '{}' }))).code).toBe('NOT_FOUND');
    expect((await rpcError(d.client.getTask('no-such-task'))).code).toBe('NOT_FOUND');
  });

  it('the same task id runs once; a different request under it is ALREADY_EXISTS', async () => {
    const a = await math({ operation: 'add', operands: [5, 5] }, { task_id: 'idem-1' });
    const b = await math({ operation: 'add', operands: [5, 5] }, { task_id: 'idem-1' });
    expect(b).toEqual(a);
    const e = await rpcError(math({ operation: 'add', operands: [5, 6] }, { task_id: 'idem-1' }));
    expect(e.code).toBe('ALREADY_EXISTS');
  });

  it('RESOURCE_EXHAUSTED when the queue is full', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `fill-${i}`);
    const results = await Promise.allSettled(ids.map((task_id) =>
      d.client.submitTask({ agent_id: 'loop', capability: 'run', input: '{}', task_id, limits: { timeout_ms: 400 } })));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as AriRpcError);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].code).toBe('RESOURCE_EXHAUSTED');
    for (const id of ids) await d.client.cancelTask(id).catch(() => undefined);
  });

  it('GetManifest, ListAgents and GetHealth answer', async () => {
    const m = await d.client.getManifest('math');
    expect(m.capabilities.map((c) => c.name)).toEqual(['arithmetic', 'statistics']);
    expect((await d.client.listAgents()).length).toBeGreaterThan(5);
    const h = await d.client.getHealth();
    expect(h.backends.find((b) => b.runtime === 'wasm')?.available).toBe(true);
  });
});

describe('wasm daemon: endurance', () => {
  it('after 200 hostile tasks the daemon answers with no worker or memory leak', async () => {
    const wasm = d.handle.runtimes.get('wasm') as unknown as { workerCount(): number };
    const workersBefore = wasm.workerCount();
    const names = ['loop', 'recursion', 'grow-bomb', 'flood', 'trap', 'bad-result', 'bad-length', 'loop-fuel'];
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < 200; i += 4) {
      await Promise.all([0, 1, 2, 3].map((k) => run(names[(i + k) % names.length], { timeout_ms: 100, memory_bytes: 4 * 1024 * 1024, output_bytes: 4096 })));
    }
    const r = await math({ operation: 'multiply', operands: [7, 6] });
    expect(json(r.output)).toEqual({ result: 42 });
    expect(wasm.workerCount()).toBe(workersBefore);
    const growthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    expect(growthMb).toBeLessThan(100);
  }, 120_000);
});
