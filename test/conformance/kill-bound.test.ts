// `--kill-bound-ms`: the pass bound of every kill is a flag; the overshoot is printed whether it passes or not.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../src/conformance/case-types.js';
import { KILL_BOUND_MS } from '../../src/conformance/case-types.js';
import { CASES } from '../../src/conformance/cases.js';
import { cancelledWithinBound, timedOutWithinBound } from '../../src/conformance/expect.js';
import { CONFORMANCE_HELP, killBoundsOf } from '../../src/conformance/run.js';
import type { WireTaskResponse } from '../../src/server/wire-types.js';

function obs(status: string, wallMs: number, killBoundMs: number, extra: Partial<Observation> = {}): Observation {
  const response = { status, usage: { wall_ms: wallMs }, limits: { timeout_ms: 1000 }, error: null } as unknown as WireTaskResponse;
  return { backend: 'docker', agent: 'a', response, output: undefined, elapsedMs: wallMs, killBoundMs, ...extra };
}

describe('kill bound', () => {
  it('parses N for every backend or backend=N for some', () => {
    expect(killBoundsOf(undefined)).toBeUndefined();
    expect(killBoundsOf('250')).toEqual({ wasm: 250, native: 250, docker: 250 });
    expect(killBoundsOf('docker=300,native=150')).toEqual({ docker: 300, native: 150 });
    for (const bad of ['', 'fast', 'jvm=10', 'docker=-1', 'docker=1.5']) expect(() => killBoundsOf(bad), bad).toThrow('invalid --kill-bound-ms');
  });

  it('documents the flag and its defaults in --help', () => {
    expect(CONFORMANCE_HELP).toContain('--kill-bound-ms');
    expect(CONFORMANCE_HELP).toContain(Object.entries(KILL_BOUND_MS).map(([b, n]) => `${b}=${n}`).join(','));
  });

  it('a TIMEOUT prints its overshoot and passes or fails by the bound given', () => {
    expect(timedOutWithinBound(obs('TIMEOUT', 1180, 200), 'docker')).toMatchObject({ pass: true, observed: 'TIMEOUT +180ms', values: { kill_latency_ms: 180, kill_bound_ms: 200 } });
    const late = timedOutWithinBound(obs('TIMEOUT', 1180, 100), 'docker');
    expect(late).toMatchObject({ pass: false, observed: 'TIMEOUT +180ms' });
    expect(late.detail).toContain('the docker bound is 100 ms');
  });

  it('a cancel prints its latency and passes or fails by the bound given', () => {
    expect(cancelledWithinBound(obs('CANCELLED', 400, 200, { cancelLatencyMs: 90 }))).toMatchObject({ pass: true, observed: 'CANCELLED +90ms', values: { cancel_latency_ms: 90 } });
    expect(cancelledWithinBound(obs('CANCELLED', 400, 50, { cancelLatencyMs: 90 }))).toMatchObject({ pass: false, observed: 'CANCELLED +90ms' });
    expect(cancelledWithinBound(obs('COMPLETED', 100, 200)).detail).toContain('it ended before the cancel was sent');
  });

  it('the suite has a cancel case on every backend', () => {
    const c = CASES.find((x) => x.id === 'cancel-kill')!;
    for (const b of ['wasm', 'native', 'docker'] as const) expect((c.calls[b] as { cancelAfterMs?: number }).cancelAfterMs).toBeGreaterThan(0);
  });
});
