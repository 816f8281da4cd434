// Issue 13 for wasm components: wasi:http/outgoing-handler is denied without a policy (nothing dialed) and goes
// through the task's real egress proxy session with one — real component (http-probe-command), real proxy, real
// upstreams counting what they saw. Core modules have no network import at all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitAbort } from '../../src/contract/abort-reason.js';
import type { ExecutionResult } from '../../src/contract/outcome.js';
import type { EgressReport } from '../../src/egress/egress-proxy.js';
import type { WasmAgentSpec } from '../../src/runtimes/wasm/agent-spec.js';
import { WasmRuntime } from '../../src/runtimes/wasm/host/wasm-runtime.js';
import { settled, startHttpsUpstream, startHttpUpstream, testPki, type Upstream } from '../egress/egress-harness.js';
import { testProxy } from '../egress/egress-grant.js';
import { agentFor, REPO_DIR, taskFor } from '../runtime-wasm/wat.js';

const PROBE = join(REPO_DIR, 'fixtures/agents/components/http-probe-command.wasm');
const HTTP_REQUEST_DENIED = 15; // index of HTTP-request-denied in wasi:http error-code
const TLS_CERTIFICATE_ERROR = 13;

const { proxy, grant, onLimit } = testProxy({
  lookup: async (host) => {
    if (host === 'loopback.test') return [{ address: '127.0.0.1', family: 4 }];
    if (host === 'metadata.test') return [{ address: '169.254.169.254', family: 4 }];
    throw Object.assign(new Error(`no such test name ${host}`), { code: 'ENOTFOUND' });
  },
});
let rt: WasmRuntime;
let http: Upstream;
let https: Upstream;
let taskNo = 0;

function probe(scheme: string, authority: string, path = '/hello'): WasmAgentSpec {
  return agentFor(`probe-${taskNo++}`, PROBE, { PROBE_SCHEME: scheme, PROBE_AUTHORITY: authority, PROBE_PATH: path });
}

interface Run { result: ExecutionResult; report: EgressReport | undefined; opened: boolean }

/** One task of `agent` with an egress grant for `allow` (or none), the session closed after execute as the task service does. */
async function run(agent: WasmAgentSpec, allow?: string[], opts: { budgets?: { egressBytes?: number }; upstream?: Upstream; signal?: AbortController } = {}): Promise<Run> {
  await rt.prepare(agent);
  const task = taskFor(agent, {}, { timeoutMs: 20_000, cpuMillis: 20_000 });
  const controller = opts.signal ?? new AbortController();
  if (!allow) return { result: await rt.execute(agent, task, controller.signal), report: undefined, opened: false };
  const g = grant(task.taskId, allow, opts.budgets);
  let opened = false;
  void g.opened.then(() => { opened = true; });
  const result = await rt.execute(agent, task, controller.signal, { egress: g.grant });
  // The upstream closes after each response (the proxy forwards with Connection: close): final counts first.
  if (opts.upstream) await settled(opts.upstream);
  return { result, report: await g.close(), opened };
}

beforeAll(async () => {
  [http, https] = await Promise.all([startHttpUpstream(), startHttpsUpstream()]);
  rt = new WasmRuntime({ workers: 2, maxMemoryBytes: 256 << 20, egressCa: [readFileSync(testPki().ca, 'utf8')] });
  await rt.start();
});

afterAll(async () => {
  await rt.close();
  await proxy.close();
  await Promise.all([http.close(), https.close()]);
});

describe('wasi:http without a network policy', () => {
  it('handle() returns HTTP-request-denied as an error-code; nothing reaches the upstream', async () => {
    const before = http.connections;
    const { result } = await run(probe('http', `127.0.0.1:${http.port}`));
    expect(result.status).toBe('COMPLETED');
    expect(result.output).toEqual({ stage: 'handle', code: HTTP_REQUEST_DENIED });
    expect(http.connections).toBe(before);
  });

  it('core modules keep no network: a preview1 command with a grant never opens it', async () => {
    const agent = agentFor('math-wasi', join(REPO_DIR, 'fixtures/agents/math/math-wasi.wasm'));
    await rt.prepare(agent);
    const task = { ...taskFor(agent, { operation: 'multiply', operands: [7, 6] }), capability: 'arithmetic' };
    const g = grant(task.taskId, [`127.0.0.1:${http.port}`]);
    let opened = false;
    void g.opened.then(() => { opened = true; });
    const result = await rt.execute(agent, task, new AbortController().signal, { egress: g.grant });
    await new Promise((r) => setTimeout(r, 20));
    expect(result).toMatchObject({ status: 'COMPLETED', output: { result: 42 } });
    expect(opened).toBe(false);
    expect(await g.close()).toBeUndefined();
  });
});

describe('wasi:http through the task egress proxy', () => {
  it('an allowed http upstream answers; the proxy counts exactly what the upstream read and wrote', async () => {
    const before = { c: http.connections, i: http.bytesIn, o: http.bytesOut };
    const { result, report, opened } = await run(probe('http', `127.0.0.1:${http.port}`, '/download?bytes=300000&chunk=16384'), [`127.0.0.1:${http.port}`], { upstream: http });
    expect(opened).toBe(true);
    expect(result.output).toEqual({ stage: 'done', status: 200, bytes: 300_000, end: 'closed' });
    expect(http.connections - before.c).toBe(1);
    expect(report!.usage).toMatchObject({ egressConnections: 1, bytesUp: http.bytesIn - before.i, bytesDown: http.bytesOut - before.o, denied: 0 });
    expect(report!.usage.egressBytes).toBe(report!.usage.bytesUp + report!.usage.bytesDown);
    expect(report!.records).toEqual([expect.objectContaining({ kind: 'http', decision: 'allowed', reason: 'allowlisted', address: '127.0.0.1' })]);
  });

  it('https: CONNECT then TLS verified against the configured roots; tunnel bytes equal the upstream socket bytes', async () => {
    const before = { c: https.connections, i: https.bytesIn, o: https.bytesOut };
    const authority = `127.0.0.1:${https.port}`;
    const { result, report } = await run(probe('https', authority), [authority], { upstream: https });
    expect(result.output).toEqual({ stage: 'done', status: 200, bytes: `hello ${authority}\n`.length, end: 'closed' });
    expect(https.connections - before.c).toBe(1);
    expect(report!.usage).toMatchObject({ egressConnections: 1, bytesUp: https.bytesIn - before.i, bytesDown: https.bytesOut - before.o });
    expect(report!.records).toEqual([expect.objectContaining({ kind: 'connect', decision: 'allowed', port: https.port })]);
  });

  it('https is a verifying client: without the test CA among its roots the upstream certificate is refused', async () => {
    const strict = new WasmRuntime({ workers: 1, maxMemoryBytes: 256 << 20 });
    await strict.start();
    try {
      const authority = `127.0.0.1:${https.port}`;
      const agent = probe('https', authority);
      await strict.prepare(agent);
      const task = taskFor(agent, {}, { timeoutMs: 20_000, cpuMillis: 20_000 });
      const g = grant(task.taskId, [authority]);
      const result = await strict.execute(agent, task, new AbortController().signal, { egress: g.grant });
      const report = await g.close();
      expect(result.output).toEqual({ stage: 'response', code: TLS_CERTIFICATE_ERROR });
      expect(report!.records).toEqual([expect.objectContaining({ kind: 'connect', decision: 'allowed' })]);
    } finally {
      await strict.close();
    }
  });

  it.each([
    ['a host not on the list', () => `127.0.0.2:${http.port}`, 'not_allowlisted'],
    ['the right host on another port', () => `127.0.0.1:${http.port + 1}`, 'not_allowlisted'],
    ['a listed name resolving to 127.0.0.1', () => `loopback.test:${http.port}`, 'refused_address'],
    ['a listed name resolving to 169.254.169.254', () => `metadata.test:${http.port}`, 'refused_address'],
  ])('http: %s is refused (403 from the proxy), logged with the reason, never dialed', async (_what, authority, reason) => {
    const before = http.connections;
    // Names only: a listed 127.0.0.1 literal would (by design) admit a name resolving to it.
    const allow = reason === 'not_allowlisted' ? [`127.0.0.1:${http.port}`] : [`loopback.test:${http.port}`, `metadata.test:${http.port}`];
    const { result, report } = await run(probe('http', authority()), allow);
    expect(result.output).toMatchObject({ stage: 'done', status: 403 });
    expect(report!.records).toEqual([expect.objectContaining({ decision: 'denied', reason })]);
    expect(report!.usage).toMatchObject({ egressConnections: 0, denied: 1 });
    expect(http.connections).toBe(before);
  });

  it('https: a refused CONNECT is the guest\'s HTTP-request-denied, logged, never dialed', async () => {
    const before = https.connections;
    const { result, report } = await run(probe('https', `loopback.test:${https.port}`), [`loopback.test:${https.port}`]);
    expect(result.output).toEqual({ stage: 'response', code: HTTP_REQUEST_DENIED });
    expect(report!.records).toEqual([expect.objectContaining({ kind: 'connect', decision: 'denied', reason: 'refused_address', address: '127.0.0.1' })]);
    expect(https.connections).toBe(before);
  });

  it('egress_bytes crossed mid-download ends the task as NETWORK_LIMIT', async () => {
    const controller = new AbortController();
    const agent = probe('http', `127.0.0.1:${http.port}`, '/download?bytes=4000000&chunk=16384&gapMs=2');
    await rt.prepare(agent);
    const task = taskFor(agent, {}, { timeoutMs: 20_000, cpuMillis: 20_000, egressBytes: 200_000 });
    const g = grant(task.taskId, [`127.0.0.1:${http.port}`], { egressBytes: 200_000 });
    let crossedAt = 0;
    onLimit.set(task.taskId, (which) => {
      crossedAt = performance.now();
      controller.abort(new LimitAbort(which === 'egress_bytes' ? 'EGRESS_BYTES' : 'EGRESS_CONNECTIONS', `${which} budget exceeded`));
    });
    const result = await rt.execute(agent, task, controller.signal, { egress: g.grant });
    const endedAt = performance.now();
    const report = await g.close();
    expect(crossedAt).toBeGreaterThan(0);
    console.log(`component egress_bytes: crossing (onLimit) → execute() returned ${(endedAt - crossedAt).toFixed(1)} ms`);
    expect(result.status).toBe('NETWORK_LIMIT');
    expect(result.error?.message).toMatch(/egress_bytes budget of 200000 bytes exceeded/);
    expect(report!.usage.egressBytes).toBe(200_000);
    expect(report!.ended).toBe('egress_bytes');
    expect(endedAt - crossedAt).toBeLessThan(2000);
  });

  it('two component tasks at once: each one\'s connection and bytes are attributed to it alone', async () => {
    const allow = [`127.0.0.1:${http.port}`];
    const sizes = [150_000, 450_000];
    const runs = await Promise.all(sizes.map((n) => run(probe('http', `127.0.0.1:${http.port}`, `/download?bytes=${n}&chunk=16384&gapMs=1`), allow)));
    runs.forEach(({ result, report }, i) => {
      expect(result.output).toMatchObject({ stage: 'done', status: 200, bytes: sizes[i] });
      expect(report!.usage.egressConnections).toBe(1);
      expect(report!.records).toHaveLength(1);
      // the response head is under 200 bytes; the body is this task's own size
      expect(report!.usage.bytesDown - sizes[i]!).toBeGreaterThan(0);
      expect(report!.usage.bytesDown - sizes[i]!).toBeLessThan(200);
    });
    expect(new Set(runs.map((r) => r.report!.records[0]!.taskId)).size).toBe(2);
  });
});
