// Egress rows (issue 13): the allowed destination answers with exact byte counts; unlisted and rebinding
// destinations are refused before anything reaches the upstream; crossing a budget ends the task NETWORK_LIMIT.
// Agents in fixtures/conformance/egress-agents.toml (policies name the suite's upstream, EGRESS_UPSTREAM_PORT).
import type { CaseCall, CaseSpec, NotApplicable, Observation, Verdict } from './case-types.js';
import { EGRESS_UPSTREAM_PORT, EgressUpstream } from './egress-upstream.js';
import { fail, fmtBytes, missing, outcome } from './expect.js';
import type { HostProbe } from './host-probe.js';

const na = (why: string): NotApplicable => ({ na: why });
const UP = `127.0.0.1:${EGRESS_UPSTREAM_PORT}`;
/** The issue's bound from the budget crossing to the task's end; a larger backend kill bound (--kill-bound-ms) wins. */
export const NETWORK_LIMIT_BOUND_MS = 200;

interface StepResult { mode: string; target: string; status: number; reason: string; body: number; errno: number }

/** The suite's upstream for the case running now: opened before its hostile task, closed when it is judged. */
let upstream: EgressUpstream | undefined;
/** Date.now() when the hostile task's input was built, i.e. just before ExecuteTask went out. */
let submittedAt = 0;

async function freshUpstream(): Promise<void> {
  await upstream?.close();
  upstream = undefined;
  upstream = await EgressUpstream.open();
}

/**
 * The same steps for the native and docker agents of one flavour (c-<backend>-egress<suffix>); the wasm column is
 * the http probe component, whose one GET its agent's env names (egress-agents.toml), or why it does not apply.
 */
function steps(suffix: string, text: string, wasm: string | NotApplicable): Partial<Record<'native' | 'docker' | 'wasm', CaseCall | NotApplicable>> {
  const input = () => { submittedAt = Date.now(); return { steps: text }; };
  return {
    native: { agent: `c-native-egress${suffix}`, input }, docker: { agent: `c-docker-egress${suffix}`, input },
    wasm: typeof wasm === 'string' ? { agent: `c-wasm-egress${wasm}`, input } : wasm,
  };
}

/** The agent's step results; the wasm probe's one GET ({stage, status, bytes, code}) read as one `get` step. */
function results(o: Observation): StepResult[] {
  const out = (o.output ?? {}) as { results?: unknown; stage?: string; status?: number; bytes?: number; code?: number };
  if (Array.isArray(out.results)) return out.results as StepResult[];
  if (typeof out.stage !== 'string') return [];
  const done = out.stage === 'done';
  return [{ mode: 'get', target: 'probe', status: done ? out.status ?? 0 : 0, reason: '', body: done ? out.bytes ?? 0 : 0, errno: done ? 0 : out.code ?? -1 }];
}

const show = (s: StepResult | undefined) => (s ? `${s.mode} ${s.target}: status ${s.status}${s.reason ? ` ${s.reason}` : ''}, ${s.body} B, errno ${s.errno}` : 'no result');

/** Judges with the upstream's final counts, then closes it; a daemon on another host has another loopback. */
function judged(judge: (o: Observation, u: EgressUpstream) => Verdict) {
  return async (o: Observation, p: HostProbe): Promise<Verdict> => {
    const u = upstream;
    try {
      if (!p.hostChecks) return { pass: true, observed: `${outcome(o)} (not checked)`, detail: `daemon on another host: its 127.0.0.1:${EGRESS_UPSTREAM_PORT} is not the suite's upstream` };
      if (!u) return fail('no upstream', 'the suite\'s egress upstream was not opened');
      const none = missing(o);
      if (none) return none;
      await u.settled();
      return judge(o, u);
    } finally {
      await u?.close();
      if (upstream === u) upstream = undefined;
    }
  };
}

/** What the daemon reported next to what the upstream saw, for the JSON report. */
function figures(o: Observation, u: EgressUpstream): Record<string, number> {
  const t = u.totals();
  return {
    egress_bytes: o.response!.usage?.egress_bytes ?? -1, egress_connections: o.response!.usage?.egress_connections ?? -1,
    upstream_bytes: t.bytes, upstream_connections: t.connections,
  };
}

/**
 * Every proxied step refused — the daemon's egress log holds one denied record per step with `reason`, and the
 * agent got no answer (the C agent also sees the proxy's 403 and reason header); every direct step failed in the
 * kernel; nothing reached the upstream and nothing was charged.
 */
function refusedAll(reason: string) {
  return (o: Observation, u: EgressUpstream): Verdict => {
    const values = figures(o, u);
    const rs = results(o);
    if (o.response!.status !== 'COMPLETED' || rs.length === 0) return fail(outcome(o), `expected COMPLETED with the agent's step results, got ${outcome(o)}: ${o.response!.error?.message ?? JSON.stringify(o.output)}`, values);
    if (values.upstream_connections > 0) return fail(`${values.upstream_connections} conn`, `the upstream accepted ${values.upstream_connections} connection(s) it should never have seen`, values);
    const proxied = rs.filter((s) => s.mode !== 'direct');
    const wrong = rs.filter((s) => (s.mode === 'direct' ? !(s.errno > 0) : (s.status >= 200 && s.status < 300) || (s.target !== 'probe' && (s.status !== 403 || s.reason !== reason))));
    if (wrong.length) return fail(`${wrong.length} not refused`, `expected every proxied step refused (403 ${reason}) and every direct one to fail: ${wrong.map(show).join('; ')}`, values);
    const denied = (o.response!.egress_log ?? []).filter((r) => r.decision === 'denied');
    values.denied_records = denied.length;
    if (denied.length !== proxied.length || denied.some((r) => r.reason !== reason)) {
      return fail(`log ${denied.map((r) => r.reason).join(',') || 'empty'}`, `expected ${proxied.length} denied record(s) with reason ${reason} in the task's egress log, got ${JSON.stringify(o.response!.egress_log ?? null)}`, values);
    }
    if (values.egress_connections !== 0 || values.egress_bytes !== 0) return fail(`${values.egress_connections} conn charged`, `refused attempts were charged: ${values.egress_connections} connections, ${values.egress_bytes} bytes`, values);
    const direct = rs.length - proxied.length;
    return { pass: true, observed: `${proxied.length} refused (${reason})${direct ? `, ${direct} direct failed` : ''}, 0 conn`, values };
  };
}

/** NETWORK_LIMIT with the usage exactly at the budget, and (bytes) how long after the crossing the task ended. */
function limited(which: 'egress_bytes' | 'egress_connections') {
  return (o: Observation, u: EgressUpstream): Verdict => {
    const r = o.response!;
    const values: Record<string, number> = { ...figures(o, u), budget: r.limits?.[which] ?? -1 };
    if (r.status !== 'NETWORK_LIMIT') return fail(outcome(o), `expected NETWORK_LIMIT on ${which}, got ${outcome(o)} ${JSON.stringify(o.output)}`, values);
    if (values[which] !== values.budget) return fail(`${which} ${values[which]}`, `usage.${which} = ${values[which]}, expected exactly the budget ${values.budget}`, values);
    if (which === 'egress_connections') {
      if (values.upstream_connections !== values.budget) return fail(`${values.upstream_connections} conn`, `the upstream saw ${values.upstream_connections} connections with a budget of ${values.budget}`, values);
      return { pass: true, observed: `NETWORK_LIMIT at ${values.budget} conn`, values };
    }
    // The crossing: the upstream's write after which what the proxy had forwarded (request + response) passed the budget.
    const c = u.connections[0];
    const cross = c?.writes.find(([written]) => c.bytesIn + written > values.budget!)?.[1];
    const end = submittedAt + o.elapsedMs;
    const late = cross === undefined ? -1 : end - cross;
    values.network_limit_latency_ms = late;
    const bound = Math.max(NETWORK_LIMIT_BOUND_MS, o.killBoundMs);
    const observed = `NETWORK_LIMIT at ${fmtBytes(values.budget!)}, +${late}ms`;
    if (late < 0) return fail(observed, 'the upstream never wrote past the budget: no crossing to measure from', values);
    if (late > bound) return fail(observed, `the task ended ${late} ms after the upstream wrote past the ${which} budget; the bound is ${bound} ms`, values);
    return { pass: true, observed, values };
  };
}

function allowed(o: Observation, u: EgressUpstream): Verdict {
  const values = figures(o, u);
  const rs = results(o);
  const want = o.backend === 'wasm' ? [100_000] : [100_000, 50_000];
  if (o.response!.status !== 'COMPLETED') return fail(outcome(o), `expected COMPLETED, got ${outcome(o)}: ${o.response!.error?.message ?? ''}`, values);
  const bad = want.filter((n, i) => rs[i]?.status !== 200 || rs[i]?.body !== n);
  if (rs.length !== want.length || bad.length) return fail('no answer', `expected ${want.join(' and ')} body bytes with status 200, got ${rs.map(show).join('; ') || JSON.stringify(o.output)}`, values);
  const n = want.length;
  if (values.upstream_connections !== n || values.egress_connections !== n) return fail(`${values.egress_connections} conn`, `expected ${n} connection(s), the daemon reported ${values.egress_connections} and the upstream saw ${values.upstream_connections}`, values);
  if (values.egress_bytes !== values.upstream_bytes) return fail(`${values.egress_bytes}≠${values.upstream_bytes} B`, `usage.egress_bytes = ${values.egress_bytes} but the upstream read and wrote ${values.upstream_bytes} bytes`, values);
  const logged = (o.response!.egress_log ?? []).filter((r) => r.decision === 'allowed').reduce((t, r) => t + r.bytes_up + r.bytes_down, 0);
  values.logged_bytes = logged;
  if (logged !== values.egress_bytes) return fail(`log ${logged} B`, `the egress log's allowed records sum to ${logged} bytes, usage says ${values.egress_bytes}`, values);
  return { pass: true, observed: `${n} answered, ${fmtBytes(values.egress_bytes)} exact`, values };
}

export const EGRESS_CASES: readonly CaseSpec[] = [
  {
    id: 'egress-allowed', title: 'egress: listed host answers (HTTP and CONNECT), bytes exact',
    calls: steps('', `get ${UP} /bytes?n=100000;tunnel ${UP} /bytes?n=50000`, ''),
    prepare: freshUpstream,
    expect: judged(allowed),
  },
  {
    id: 'egress-unlisted', title: 'egress: other port, unlisted name, bypassing the proxy',
    calls: steps('', `get 127.0.0.1:${EGRESS_UPSTREAM_PORT + 1} /;tunnel example.com:443 /;direct ${UP} /;direct @proxy:${EGRESS_UPSTREAM_PORT} /`, '-unlisted'),
    prepare: freshUpstream,
    expect: judged(refusedAll('not_allowlisted')),
  },
  {
    id: 'egress-rebinding', title: 'egress: listed name resolving to loopback',
    calls: steps('-rebind', `get localhost:${EGRESS_UPSTREAM_PORT} /;tunnel localhost:${EGRESS_UPSTREAM_PORT} /`, '-rebind'),
    prepare: freshUpstream,
    expect: judged(refusedAll('refused_address')),
  },
  {
    id: 'egress-bytes-limit', title: 'egress: egress_bytes crossed mid-download',
    calls: steps('-capped', `get ${UP} /bytes?n=1048576&gap=10`, '-capped'),
    prepare: freshUpstream,
    expect: judged(limited('egress_bytes')),
  },
  {
    id: 'egress-connections-limit', title: 'egress: egress_connections exceeded',
    calls: steps('-capped', `get ${UP} /;get ${UP} /;get ${UP} /`, na('the wasm http probe makes one request per task')),
    prepare: freshUpstream,
    expect: judged(limited('egress_connections')),
  },
];
