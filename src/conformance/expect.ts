// Building blocks of the cases' expectation functions: outcome checks, kill latency, figures for the table.
import type { Backend, Observation, Verdict } from './case-types.js';
import type { HostProbe } from './host-probe.js';

export function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)}GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)}MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)}KiB`;
  return `${n}B`;
}

export function fmtCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}e9` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}e6` : String(n);
}

/** "TIMEOUT", "FAILED/CRASHED", or why there was no outcome. */
export function outcome(o: Observation): string {
  const r = o.response;
  if (!r) return `no outcome (${o.failure ?? 'unknown'})`;
  return r.error?.code && r.status !== r.error.code ? `${r.status}/${r.error.code}` : r.status;
}

const fail = (observed: string, detail: string, values?: Verdict['values']): Verdict => ({ pass: false, observed, detail, values });

/** A FAIL verdict when there is no outcome at all, else null. */
export function missing(o: Observation): Verdict | null {
  return o.response ? null : fail('no outcome', o.failure ?? 'no response');
}

export function outputField(o: Observation, key: string): unknown {
  const out = o.output;
  return out && typeof out === 'object' ? (out as Record<string, unknown>)[key] : undefined;
}

/** How long past its deadline the task ran, from the daemon's own wall time and effective timeout. */
export function killLatency(o: Observation): number | null {
  const r = o.response;
  const timeout = r?.limits?.timeout_ms;
  if (!r?.usage || !timeout) return null;
  return Math.round(r.usage.wall_ms - timeout);
}

/** TIMEOUT within the backend's kill bound (o.killBoundMs, --kill-bound-ms); the overshoot is printed either way. */
export function timedOutWithinBound(o: Observation, backend: Backend): Verdict {
  const bound = o.killBoundMs;
  const late = killLatency(o);
  const values = { kill_latency_ms: late ?? -1, kill_bound_ms: bound, wall_ms: o.response?.usage?.wall_ms ?? -1 };
  if (o.response?.status !== 'TIMEOUT') return fail(outcome(o), `expected TIMEOUT, got ${outcome(o)} after ${o.elapsedMs} ms`, values);
  if (late === null) return fail('TIMEOUT +?', 'the response carries no usage.wall_ms or limits.timeout_ms to measure the kill latency', values);
  const observed = `TIMEOUT +${late}ms`;
  if (late > bound) return fail(observed, `killed ${late} ms past the ${o.response.limits!.timeout_ms} ms deadline; the ${backend} bound is ${bound} ms`, values);
  return { pass: true, observed, values };
}

/** The whole response as text, to search for things that must not appear in it. */
export function responseText(o: Observation): string {
  const r = o.response;
  if (!r) return '';
  return `${Buffer.from(r.output ?? []).toString('utf8')}\n${r.error?.message ?? ''}`;
}

export function leaksSecret(o: Observation, probe: HostProbe): string | null {
  const text = responseText(o);
  if (text.includes(probe.secret)) return 'the planted secret file content';
  if (probe.envSecretValue && text.includes(probe.envSecretValue)) return `the value of ${probe.envSecretName}`;
  if (text.includes(probe.envSecretName)) return `the variable ${probe.envSecretName}`;
  return null;
}

/** CANCELLED within the backend's kill bound of the CancelTask call; the cancel latency is printed either way. */
export function cancelledWithinBound(o: Observation): Verdict {
  const late = o.cancelLatencyMs;
  const values = { cancel_latency_ms: late ?? -1, kill_bound_ms: o.killBoundMs, wall_ms: o.response?.usage?.wall_ms ?? -1 };
  if (o.response?.status !== 'CANCELLED') return fail(outcome(o), `expected CANCELLED, got ${outcome(o)} after ${o.elapsedMs} ms${late === undefined ? ' (it ended before the cancel was sent)' : ''}`, values);
  if (late === undefined) return fail('CANCELLED +?', 'no cancel was sent, so there is no latency to measure', values);
  const observed = `CANCELLED +${late}ms`;
  if (late > o.killBoundMs) return fail(observed, `stopped ${late} ms after CancelTask was sent; the ${o.backend} bound is ${o.killBoundMs} ms`, values);
  return { pass: true, observed, values };
}

export { fail };
