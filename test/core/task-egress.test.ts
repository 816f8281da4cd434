// The task service's egress wiring: a real EgressProxy, real upstreams and sockets; only the backend is a test double
// that, as a sandbox would, opens its grant and makes HTTP requests through the endpoint (and honours killReasonOf).
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../../src/core/agent-registry.js';
import { MemoryJournal } from '../../src/core/journal.js';
import { Scheduler } from '../../src/core/scheduler.js';
import { TaskEgress } from '../../src/core/task-egress.js';
import { TaskService } from '../../src/core/task-service.js';
import type { TaskRecord, TaskUpdate } from '../../src/core/task-record.js';
import { BUILTIN_DEFAULT_LIMITS, BUILTIN_MAX_LIMITS } from '../../src/config/limits-config.js';
import { killReasonOf } from '../../src/contract/abort-reason.js';
import type { AgentSpec } from '../../src/contract/agent.js';
import { classify } from '../../src/contract/classify.js';
import type { Limits } from '../../src/contract/limits.js';
import { emptyUsage, type ExecutionResult } from '../../src/contract/outcome.js';
import type { EgressEndpoint } from '../../src/egress/egress-proxy.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { NATIVE_ENFORCES } from '../../src/runtimes/native/enforcement.js';
import type { ExecutionHooks, Runtime } from '../../src/runtimes/runtime.js';
import { httpViaProxy, proxyConnect, settled, startHttpUpstream, type Upstream } from '../egress/egress-harness.js';

/** What the test backend does inside its "sandbox": requests through the proxy endpoint, then waits or breaks. */
interface Script { get?: string[]; connect?: string[]; wait?: boolean; fail?: boolean }
type Step = { status: number; bytes: number; reason?: string } | { error: string } | { aborted: true };

const aborted = (signal: AbortSignal) => new Promise<{ aborted: true }>((res) => {
  if (signal.aborted) res({ aborted: true });
  else signal.addEventListener('abort', () => res({ aborted: true }), { once: true });
});

/** The test double of a backend; everything it talks to is real. */
class ScriptedBackend {
  readonly endpoints = new Map<string, EgressEndpoint>();
  readonly granted = new Map<string, boolean>();
  private readonly waiters = new Map<string, (e: EgressEndpoint) => void>();

  whenOpened(taskId: string): Promise<EgressEndpoint> {
    const e = this.endpoints.get(taskId);
    return e ? Promise.resolve(e) : new Promise((r) => this.waiters.set(taskId, r));
  }

  readonly runtime = {
    name: 'native',
    enforces: NATIVE_ENFORCES,
    execute: async (_a: AgentSpec, task: { taskId: string; input: unknown; limits: Limits }, signal: AbortSignal, hooks?: ExecutionHooks): Promise<ExecutionResult> => {
      const script = task.input as Script;
      this.granted.set(task.taskId, !!hooks?.egress);
      const usage = emptyUsage();
      if (!hooks?.egress) return { status: 'COMPLETED', output: { network: false }, usage, metrics: {} };
      const ep = await hooks.egress.open();
      this.endpoints.set(task.taskId, ep);
      this.waiters.get(task.taskId)?.(ep);
      const steps: Step[] = [];
      const step = async (p: Promise<Step>) => steps.push(await Promise.race([p, aborted(signal)]));
      for (const url of script.get ?? []) {
        if (signal.aborted) break;
        await step(httpViaProxy(ep.port, url).then((r) => ({ status: r.status, bytes: r.body.length, ...(r.reason ? { reason: r.reason } : {}) }), (e: NodeJS.ErrnoException) => ({ error: e.code ?? e.message })));
      }
      for (const authority of script.connect ?? []) {
        if (signal.aborted) break;
        await step(proxyConnect(ep.port, authority).then((r) => { r.socket.destroy(); return { status: r.status, bytes: 0 }; }));
      }
      if (script.wait) await Promise.race([aborted(signal), new Promise((r) => setTimeout(r, 30_000))]);
      if (script.fail) throw new Error('the sandbox broke');
      if (signal.aborted) return classify({ killedFor: killReasonOf(signal) }, usage, task.limits);
      return { status: 'COMPLETED', output: { steps }, usage, metrics: {} };
    },
  } as unknown as Runtime;
}

const manifest = { name: 'F', version: '1', description: '', requirements: {}, capabilities: [{ name: 'run', description: '', schema: { type: 'object' } }] };
const agentSpec = (id: string, allow?: string[]): AgentSpec => ({
  id, runtime: 'native', env: {}, limits: {}, baseDir: '/', manifest, ...(allow ? { network: { allow } } : {}),
});

let up: Upstream;
let other: Upstream;
const closers: (() => Promise<void>)[] = [];
beforeAll(async () => { up = await startHttpUpstream(); other = await startHttpUpstream(); });
afterAll(async () => {
  for (const c of closers.splice(0)) await c();
  await up.close();
  await other.close();
});

function setup(opts: { allow?: string[]; metrics?: Metrics } = {}) {
  const backend = new ScriptedBackend();
  const egress = new TaskEgress({ onReport: (agent, usage) => opts.metrics?.egress(agent, usage) });
  closers.push(() => egress.close());
  const b = { concurrency: 4, queue: 10 };
  const scheduler = new Scheduler({ wasm: b, native: b, docker: b });
  const journal = new MemoryJournal(100);
  const service = new TaskService({
    registry: new AgentRegistry([agentSpec('fetch', opts.allow ?? [`127.0.0.1:${up.port}`, '*.example.com:443']), agentSpec('plain')]),
    runtimeFor: () => backend.runtime, unavailableReason: () => undefined, scheduler, journal, egress, logger: silentLogger,
    policy: { defaults: BUILTIN_DEFAULT_LIMITS, max: BUILTIN_MAX_LIMITS, maxInputBytes: 10_000, enforces: () => NATIVE_ENFORCES },
  });
  let n = 0;
  const submit = (script: Script, o: { taskId?: string; agentId?: string; limits?: Partial<Limits>; network?: { allow: string[] } } = {}) => {
    const taskId = o.taskId ?? `t${++n}-${Math.random().toString(36).slice(2, 8)}`;
    const updates: TaskUpdate[] = [];
    service.bus.subscribe(taskId, (u) => updates.push(u)); // before submit: every update of the task is seen
    const accepted = service.submit({ taskId, agentId: o.agentId ?? 'fetch', capability: 'run', input: Buffer.from(JSON.stringify(script)), limits: o.limits ?? {}, ...(o.network ? { network: o.network } : {}) });
    const done = accepted.then((a) => a.done);
    done.catch(() => undefined); // a refused submission is asserted through `accepted`
    return { taskId, updates, accepted, done };
  };
  return { service, backend, journal, scheduler, submit };
}

/** ECONNREFUSED once the session's listener is closed. */
function dial(port: number): Promise<string> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); res('connected'); });
    s.once('error', (e: NodeJS.ErrnoException) => res(e.code ?? 'error'));
  });
}

describe('task egress wiring', () => {
  it('an allowed GET: usage and the egress log are merged into the outcome, byte counts exactly what the upstream saw', async () => {
    const { submit, journal, backend } = setup();
    const before = up.connections;
    const t = submit({ get: [`http://127.0.0.1:${up.port}/download?bytes=10000`] });
    const r = await t.done;
    await settled(up);
    expect(r.status, JSON.stringify(r.result)).toBe('COMPLETED');
    expect(r.network).toEqual({ allow: [`127.0.0.1:${up.port}`, '*.example.com:443'] });
    expect((r.result!.output as { steps: Step[] }).steps).toEqual([{ status: 200, bytes: 10_000 }]);
    expect(up.connections - before).toBe(1);
    const [rec] = r.result!.egress!.records;
    expect(r.result!.egress!.dropped).toBe(0);
    expect(rec).toMatchObject({ kind: 'http', host: '127.0.0.1', port: up.port, address: '127.0.0.1', decision: 'allowed', reason: 'allowlisted', entry: `127.0.0.1:${up.port}` });
    expect(rec!.bytesDown).toBeGreaterThan(10_000);
    expect(r.result!.usage.egressBytes).toBe(rec!.bytesUp + rec!.bytesDown);
    expect(r.result!.usage.egressConnections).toBe(1);
    expect(await journal.get(t.taskId)).toEqual(r);
    expect(await dial(backend.endpoints.get(t.taskId)!.port)).toBe('ECONNREFUSED'); // the session is closed with the task
  });

  it('byte counts equal the upstream socket\'s bytes read and written (fresh upstream, one connection)', async () => {
    const own = await startHttpUpstream();
    try {
      const { submit } = setup({ allow: [`127.0.0.1:${own.port}`] });
      const r = await submit({ get: [`http://127.0.0.1:${own.port}/download?bytes=200000`] }).done;
      await settled(own);
      const [rec] = r.result!.egress!.records;
      expect(own.connections).toBe(1);
      expect(rec!.bytesUp).toBe(own.bytesIn);
      expect(rec!.bytesDown).toBe(own.bytesOut);
      expect(r.result!.usage.egressBytes).toBe(own.bytesIn + own.bytesOut);
    } finally {
      await own.close();
    }
  });

  it('a denied attempt is refused, logged and published live as an egress update; nothing reaches the other upstream', async () => {
    const { submit } = setup();
    const before = other.connections;
    const t = submit({ get: [`http://127.0.0.1:${other.port}/`, 'http://evil.example:80/'], connect: ['evil.example:443'] });
    const r = await t.done;
    expect(r.status).toBe('COMPLETED');
    const steps = (r.result!.output as { steps: Step[] }).steps;
    expect(steps).toEqual([{ status: 403, bytes: expect.any(Number), reason: 'not_allowlisted' }, { status: 403, bytes: expect.any(Number), reason: 'not_allowlisted' }, { status: 403, bytes: 0 }]);
    expect(other.connections - before).toBe(0);
    const egress = t.updates.filter((u) => u.kind === 'egress');
    expect(egress.map((u) => u.message)).toEqual([
      expect.stringMatching(new RegExp(`^denied HTTP 127\\.0\\.0\\.1:${other.port}: not_allowlisted`)),
      expect.stringMatching(/^denied HTTP evil\.example:80: not_allowlisted/),
      expect.stringMatching(/^denied CONNECT evil\.example:443: not_allowlisted/),
    ]);
    for (const u of egress) expect(u.status).toBe('RUNNING');
    expect(r.result!.egress!.records.map((x) => [x.decision, x.reason])).toEqual([['denied', 'not_allowlisted'], ['denied', 'not_allowlisted'], ['denied', 'not_allowlisted']]);
    expect(r.result!.usage).toMatchObject({ egressBytes: 0, egressConnections: 0 });
  });

  it('egress_bytes crossed mid-download ends the task NETWORK_LIMIT (LimitAbort → killReasonOf → classify)', async () => {
    const own = await startHttpUpstream();
    try {
      const { submit } = setup({ allow: [`127.0.0.1:${own.port}`] });
      const budget = 65_536 + 8192; // mid-chunk: the 5th 16 KiB chunk crosses it, whatever the few head bytes add
      const t = submit({ get: [`http://127.0.0.1:${own.port}/download?bytes=1048576&chunk=16384&gapMs=20`] }, { limits: { egressBytes: budget } });
      const r = await t.done;
      const endedAt = performance.now();
      expect(r.status).toBe('NETWORK_LIMIT');
      expect(r.result!.error).toEqual({ code: 'NETWORK_LIMIT', message: `egress_bytes budget of ${budget} bytes exceeded` });
      expect(r.result!.usage.egressBytes).toBe(budget);
      expect(r.result!.egress!.records[0]).toMatchObject({ decision: 'allowed', error: 'egress_bytes budget exceeded' });
      const crossing = own.timeline.find(([sent]) => sent >= budget)!;
      const afterMs = endedAt - crossing[1];
      console.log(`egress_bytes: task recorded NETWORK_LIMIT ${afterMs.toFixed(1)} ms after the upstream wrote the crossing chunk`);
      expect(afterMs).toBeLessThan(2_000); // a sanity bound; precision belongs to conformance
      expect(own.timeline.length).toBeLessThan(64); // the download was cut, not completed
    } finally {
      await own.close();
    }
  });

  it('egress_connections crossed ends the task NETWORK_LIMIT; only the budgeted connections reach the upstream', async () => {
    const own = await startHttpUpstream();
    try {
      const { submit } = setup({ allow: [`127.0.0.1:${own.port}`] });
      const url = `http://127.0.0.1:${own.port}/`;
      const t = submit({ get: [url, url, url, url] }, { limits: { egressConnections: 2 } });
      const r = await t.done;
      expect(r.status).toBe('NETWORK_LIMIT');
      expect(r.result!.error!.message).toBe('egress_connections budget of 2 connections exceeded');
      expect(r.result!.usage.egressConnections).toBe(2);
      expect(own.connections).toBe(2);
      const recs = r.result!.egress!.records;
      expect(recs.slice(0, 2).map((x) => x.decision)).toEqual(['allowed', 'allowed']);
      expect(recs[2]).toMatchObject({ decision: 'denied', reason: 'budget_exhausted' });
      expect(t.updates.filter((u) => u.kind === 'egress').map((u) => u.message)).toEqual([expect.stringMatching(/^denied HTTP 127\.0\.0\.1:\d+: budget_exhausted/)]);
    } finally {
      await own.close();
    }
  });

  it('a cancelled task\'s session is closed, and its (empty) log kept', async () => {
    const { submit, service, backend } = setup();
    const t = submit({ wait: true });
    const ep = await backend.whenOpened(t.taskId);
    expect(await dial(ep.port)).toBe('connected');
    const cancelled = await service.cancel(t.taskId);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.result!.egress).toEqual({ records: [], dropped: 0 });
    expect(await dial(ep.port)).toBe('ECONNREFUSED');
  });

  it('a backend that throws still has its session closed and its egress kept with the FAILED outcome', async () => {
    const { submit, backend } = setup();
    const t = submit({ get: [`http://127.0.0.1:${up.port}/`], fail: true });
    const r = await t.done;
    expect(r.status).toBe('FAILED');
    expect(r.result!.error!.code).toBe('SANDBOX_ERROR');
    expect(r.result!.usage.egressConnections).toBe(1);
    expect(r.result!.usage.egressBytes).toBeGreaterThan(0);
    expect(r.result!.egress!.records).toHaveLength(1);
    expect(await dial(backend.endpoints.get(t.taskId)!.port)).toBe('ECONNREFUSED');
  });

  it('an agent without a policy gets no grant, no session and no egress in its outcome', async () => {
    const { submit, backend } = setup();
    const t = submit({}, { agentId: 'plain' });
    const r = await t.done;
    expect(r.status).toBe('COMPLETED');
    expect(backend.granted.get(t.taskId)).toBe(false);
    expect(r.network).toBeUndefined();
    expect(r.result!.egress).toBeUndefined();
  });

  it('two tasks of the same agent at once: each one\'s connections and bytes are attributed to it alone', async () => {
    const { submit } = setup();
    const a = submit({ get: [`http://127.0.0.1:${up.port}/download?bytes=5000`] });
    const b = submit({ get: [`http://127.0.0.1:${up.port}/download?bytes=50000`, `http://127.0.0.1:${up.port}/download?bytes=50000`] });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.result!.usage.egressConnections).toBe(1);
    expect(rb.result!.usage.egressConnections).toBe(2);
    for (const r of [ra, rb]) {
      expect(r.result!.egress!.records.every((x) => x.taskId === r.taskId)).toBe(true);
      expect(r.result!.usage.egressBytes).toBe(r.result!.egress!.records.reduce((s, x) => s + x.bytesUp + x.bytesDown, 0));
    }
    expect(ra.result!.usage.egressBytes).toBeLessThan(10_000);
    expect(rb.result!.usage.egressBytes).toBeGreaterThan(100_000);
  });

  it('counts ari_egress_connections_total{agent,decision} and ari_egress_bytes_total{agent,direction} at session close', async () => {
    const metrics = new Metrics({ defaultMetrics: false, egressAgents: ['fetch'] });
    expect(await metrics.text()).toContain('ari_egress_connections_total{agent="fetch",decision="allowed"} 0');
    const { submit } = setup({ metrics });
    const r = await submit({ get: [`http://127.0.0.1:${up.port}/download?bytes=3000`, 'http://evil.example:80/'] }).done;
    const [ok] = r.result!.egress!.records;
    const text = await metrics.text();
    expect(text).toContain('ari_egress_connections_total{agent="fetch",decision="allowed"} 1');
    expect(text).toContain('ari_egress_connections_total{agent="fetch",decision="denied"} 1');
    expect(text).toContain(`ari_egress_bytes_total{agent="fetch",direction="up"} ${ok!.bytesUp}`);
    expect(text).toContain(`ari_egress_bytes_total{agent="fetch",direction="down"} ${ok!.bytesDown}`);
  });

  it('a task claimed from the fleet queue gets its network back from the record', async () => {
    const { service, journal, scheduler, backend } = setup();
    const record: TaskRecord = {
      taskId: 'claimed-1', agentId: 'fetch', runtime: 'native', capability: 'run', requestHash: 'h', limits: BUILTIN_DEFAULT_LIMITS,
      network: { allow: [`127.0.0.1:${up.port}`] }, status: 'RUNNING', createdAt: Date.now(), startedAt: Date.now(),
    };
    await journal.insert({ record, input: { get: [`http://127.0.0.1:${up.port}/`] }, agentHash: 'x' });
    const final = new Promise<TaskRecord>((res) => service.bus.subscribe('claimed-1', (u) => { if (u.kind === 'result') res(u.record!); }));
    expect(scheduler.reserve('native', 1)).toBe(1);
    service.runClaimed({ record, input: { get: [`http://127.0.0.1:${up.port}/`] } });
    const r = await final;
    expect(backend.granted.get('claimed-1')).toBe(true);
    expect(r.result!.egress!.records.map((x) => x.decision)).toEqual(['allowed']);
  });
});

describe('admission of a request\'s network', () => {
  it('narrows the agent\'s list: the effective list is the request\'s, canonical, and only it is allowed', async () => {
    const { submit } = setup();
    const t = submit({ get: [`http://127.0.0.1:${up.port}/`] }, { network: { allow: ['A.Example.com:443'] } });
    const r = await t.done;
    expect((await t.accepted).record.network).toEqual({ allow: ['a.example.com:443'] });
    expect(r.network).toEqual({ allow: ['a.example.com:443'] });
    expect(r.result!.egress!.records[0]).toMatchObject({ decision: 'denied', reason: 'not_allowlisted' });
  });

  it('refuses a widening or malformed entry, and any entry for an agent without a policy (INVALID_ARGUMENT)', async () => {
    const { submit } = setup();
    await expect(submit({}, { network: { allow: ['evil.com:443'] } }).accepted).rejects.toMatchObject({
      kind: 'INVALID_ARGUMENT', message: 'limits.network.allow: "evil.com:443": a request may only narrow the agent\'s network.allow, not widen it' });
    await expect(submit({}, { network: { allow: ['example.com:443'] } }).accepted).rejects.toMatchObject({ kind: 'INVALID_ARGUMENT', message: expect.stringMatching(/"example\.com:443"/) });
    await expect(submit({}, { network: { allow: ['a.example.com'] } }).accepted).rejects.toMatchObject({ kind: 'INVALID_ARGUMENT', message: 'limits.network.allow: "a.example.com": missing :PORT' });
    await expect(submit({}, { agentId: 'plain', network: { allow: ['a.example.com:443'] } }).accepted).rejects.toMatchObject({
      kind: 'INVALID_ARGUMENT', message: expect.stringMatching(/^agent "plain" has no network policy/) });
  });

  it('an empty request list narrows to no network at all', async () => {
    const { submit, backend } = setup();
    const t = submit({}, { network: { allow: [] } });
    const r = await t.done;
    expect(backend.granted.get(t.taskId)).toBe(false);
    expect(r.network).toBeUndefined();
  });

  it('the request hash includes the request\'s list: same id + another list is ALREADY_EXISTS, the same list (any spelling) is the same task', async () => {
    const { submit } = setup();
    const first = await submit({}, { taskId: 'net-k1', network: { allow: ['a.example.com:443', 'b.example.com:443'] } }).done;
    const again = await submit({}, { taskId: 'net-k1', network: { allow: ['B.example.com:443', 'a.example.com:443'] } }).done;
    expect(again).toEqual(first);
    await expect(submit({}, { taskId: 'net-k1', network: { allow: ['a.example.com:443'] } }).accepted).rejects.toMatchObject({ kind: 'ALREADY_EXISTS' });
    await expect(submit({}, { taskId: 'net-k1' }).accepted).rejects.toMatchObject({ kind: 'ALREADY_EXISTS' });
  });
});
