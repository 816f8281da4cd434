// Egress on the wire: request allowlists in, usage and the proxy's own audit records out, through real protobuf encoding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSpec } from '../../src/contract/agent.js';
import { DEFAULT_LIMITS, LIMIT_KEYS } from '../../src/contract/limits.js';
import { emptyUsage } from '../../src/contract/outcome.js';
import type { TaskRecord, TaskUpdate } from '../../src/core/task-record.js';
import { EgressProxy, type EgressReport } from '../../src/egress/egress-proxy.js';
import { parseAllowList } from '../../src/egress/policy.js';
import { loadAri, loadAriServer } from '../../src/server/proto.js';
import {
  MAX_ALLOW_ENTRIES, manifestToWire, recordToWire, submissionFromWire, updateToWire,
} from '../../src/server/wire-convert.js';
import type { WireTaskRequest, WireTaskResponse, WireTaskUpdate } from '../../src/server/wire-types.js';
import { httpViaProxy, settled, startHttpUpstream, type Upstream } from '../egress/egress-harness.js';

const client = loadAri().service;
const server = loadAriServer();

/** What the daemon sees of a request the client library sends: encoded by the client's codec, decoded by the server's. */
function overTheWireIn(req: object): WireTaskRequest {
  return server.ExecuteTask!.requestDeserialize(client.ExecuteTask!.requestSerialize(req)) as WireTaskRequest;
}
/** What a client sees of a response the daemon sends. */
function overTheWireOut(res: WireTaskResponse): WireTaskResponse {
  return client.GetTask!.responseDeserialize(server.GetTask!.responseSerialize(res)) as WireTaskResponse;
}

const request = (limits: object | null) => ({ task_id: '', agent_id: 'a', capability: 'c', input: Buffer.from('{}'), limits });

function refusal(limits: object): string {
  try {
    submissionFromWire(overTheWireIn(request(limits)));
  } catch (e) {
    expect((e as { kind?: string }).kind).toBe('INVALID_ARGUMENT');
    return (e as Error).message;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('limits.network.allow in', () => {
  it('becomes TaskSubmission.network, with the egress budgets beside it', () => {
    const allow = ['127.0.0.1:8080', '*.example.org:443', '[2001:db8::1]:443'];
    const sub = submissionFromWire(overTheWireIn(request({ egress_bytes: 1_000_000, egress_connections: 3, network: { allow } })));
    expect(sub.network).toEqual({ allow });
    // Unset numeric limits decode as 0 (= unset, resolved at admission).
    expect(sub.limits).toEqual({ ...Object.fromEntries(LIMIT_KEYS.map((k) => [k, 0])), egressBytes: 1_000_000, egressConnections: 3 });
  });

  it('is absent when the field is absent; a present policy with an empty list narrows to nothing', () => {
    for (const limits of [null, { timeout_ms: 5000 }]) {
      const sub = submissionFromWire(overTheWireIn(request(limits)));
      expect('network' in sub, JSON.stringify(limits)).toBe(false);
    }
    for (const limits of [{ network: {} }, { network: { allow: [] } }]) {
      expect(submissionFromWire(overTheWireIn(request(limits))).network, JSON.stringify(limits)).toEqual({ allow: [] });
    }
  });

  it('refuses a list longer than the cap, naming the first index past it', () => {
    const allow = Array.from({ length: MAX_ALLOW_ENTRIES + 1 }, (_, i) => `h${i}.example.com:443`);
    expect(refusal({ network: { allow } })).toContain(`limits.network.allow[${MAX_ALLOW_ENTRIES}]: too many entries (65; at most 64)`);
    expect(submissionFromWire(overTheWireIn(request({ network: { allow: allow.slice(0, MAX_ALLOW_ENTRIES) } }))).network?.allow).toHaveLength(64);
  });

  it('refuses an entry over 300 characters or empty, naming its index', () => {
    const long = `${'a'.repeat(295)}.com:443`;
    expect(refusal({ network: { allow: ['ok.example.com:443', 'b.example.com:80', long] } })).toContain('limits.network.allow[2]: ');
    expect(refusal({ network: { allow: ['ok.example.com:443', 'b.example.com:80', long] } })).toContain('303 characters long (at most 300)');
    expect(refusal({ network: { allow: ['ok.example.com:443', ''] } })).toContain('limits.network.allow[1]: is empty');
    expect(submissionFromWire(overTheWireIn(request({ network: { allow: [`${'a'.repeat(292)}.com:443`] } }))).network?.allow[0]).toHaveLength(300);
  });
});

describe('egress out', () => {
  let upstream: Upstream;
  let report: EgressReport;
  const TASK = 'wire-egress-1';

  beforeAll(async () => {
    upstream = await startHttpUpstream();
    const proxy = new EgressProxy();
    const ep = await proxy.openSession(TASK, parseAllowList([`127.0.0.1:${upstream.port}`]));
    const allowed = await httpViaProxy(ep.port, `http://127.0.0.1:${upstream.port}/echo`, Buffer.from('x'.repeat(1000)));
    expect(allowed.status).toBe(200);
    const denied = await httpViaProxy(ep.port, `http://127.0.0.1:${upstream.port + 1}/`);
    expect(denied.status).toBe(403);
    await settled(upstream);
    report = (await proxy.closeSession(TASK))!;
    await proxy.close();
  });
  afterAll(async () => { await upstream?.close(); });

  const record = (over: Partial<TaskRecord> = {}): TaskRecord => ({
    taskId: TASK, agentId: 'fetcher', runtime: 'native', capability: 'fetch', requestHash: 'h', limits: DEFAULT_LIMITS,
    network: { allow: [`127.0.0.1:${upstream.port}`] }, status: 'COMPLETED', createdAt: 1_700_000_000_000,
    startedAt: 1_700_000_000_010, finishedAt: 1_700_000_000_500,
    result: {
      status: 'COMPLETED', output: { ok: true }, metrics: {},
      usage: { ...emptyUsage(), egressBytes: report.usage.egressBytes, egressConnections: report.usage.egressConnections },
      egress: { records: report.records, dropped: 0 },
    },
    ...over,
  });

  it('usage, the effective allowlist and every audit record survive the wire exactly', () => {
    expect(report.records.map((r) => r.decision)).toEqual(['allowed', 'denied']);
    const got = overTheWireOut(recordToWire(record()));
    expect(got.usage!.egress_bytes).toBe(report.usage.egressBytes);
    expect(got.usage!.egress_bytes).toBe(upstream.bytesIn + upstream.bytesOut);
    expect(got.usage!.egress_connections).toBe(1);
    expect(got.limits!.network).toEqual({ allow: [`127.0.0.1:${upstream.port}`] });
    expect(got.limits!.egress_bytes).toBe(DEFAULT_LIMITS.egressBytes);
    expect(got.limits!.egress_connections).toBe(DEFAULT_LIMITS.egressConnections);
    expect(got.egress_log_dropped).toBe(0);
    expect(got.egress_log).toEqual(report.records.map((r) => ({
      seq: r.seq, started_at_ms: Math.round(r.startedAt), kind: r.kind, host: r.host, port: r.port, address: r.address,
      decision: r.decision, reason: r.reason, detail: r.detail, entry: r.entry ?? '',
      bytes_up: r.bytesUp, bytes_down: r.bytesDown, duration_ms: Math.round(r.durationMs), error: r.error ?? '',
    })));
    const [allowed, denied] = got.egress_log!;
    expect(allowed).toMatchObject({ decision: 'allowed', reason: 'allowlisted', kind: 'http', host: '127.0.0.1', port: upstream.port, address: '127.0.0.1' });
    expect(allowed!.bytes_up).toBe(upstream.bytesIn);
    expect(allowed!.bytes_down).toBe(upstream.bytesOut);
    expect(denied).toMatchObject({ decision: 'denied', reason: 'not_allowlisted', port: upstream.port + 1, bytes_up: 0, bytes_down: 0 });
  });

  it('says how many attempts were past the cap', () => {
    const r = record();
    const got = overTheWireOut(recordToWire({ ...r, result: { ...r.result!, egress: { records: report.records, dropped: 7 } } }));
    expect(got.egress_log_dropped).toBe(7);
  });

  it('a task without a policy has no network field, an empty log and zero egress usage', () => {
    const r = record({ network: undefined });
    const got = overTheWireOut(recordToWire({ ...r, result: { ...r.result!, usage: emptyUsage(), egress: undefined } }));
    expect(got.limits!.network).toBeNull();
    expect(got.egress_log).toEqual([]);
    expect(got.egress_log_dropped).toBe(0);
    expect(got.usage).toMatchObject({ egress_bytes: 0, egress_connections: 0 });
  });

  it('an outcome stored before egress existed still encodes (no egress usage fields)', () => {
    const r = record({ network: undefined });
    const { egressBytes: _b, egressConnections: _c, ...old } = emptyUsage();
    const got = overTheWireOut(recordToWire({ ...r, result: { ...r.result!, usage: old as never, egress: undefined } }));
    expect(got.usage).toMatchObject({ egress_bytes: 0, egress_connections: 0 });
  });

  it('an egress update streams like a log line, kind and message intact', () => {
    const u: TaskUpdate = { taskId: TASK, status: 'RUNNING', kind: 'egress', message: 'denied CONNECT evil.example:443: not_allowlisted', timestampMs: 1_700_000_000_100 };
    const wire = client.StreamUpdates!.responseDeserialize(server.StreamUpdates!.responseSerialize(updateToWire(u))) as WireTaskUpdate;
    expect(wire).toMatchObject({ task_id: TASK, status: 'RUNNING', kind: 'egress', message: u.message, timestamp_ms: u.timestampMs, result: null });
  });

  it("a manifest shows the agent's allowlist, what a request may narrow to", () => {
    const agent = {
      id: 'fetcher', runtime: 'native', network: { allow: ['api.example.com:443'] },
      manifest: { name: 'fetcher', version: '1', description: '', capabilities: [], requirements: {} },
    } as unknown as AgentSpec;
    const wire = client.GetManifest!.responseDeserialize(server.GetManifest!.responseSerialize(manifestToWire(agent, DEFAULT_LIMITS))) as { limits: { network: unknown } };
    expect(wire.limits.network).toEqual({ allow: ['api.example.com:443'] });
    const none = manifestToWire({ ...agent, network: undefined }, DEFAULT_LIMITS);
    expect(none.limits!.network).toBeNull();
  });
});
