// Restates the daemon's refusal of a requested limit in the user's own terms: "--timeout 10m exceeds the
// operator ceiling 5m" instead of "limits.timeout_ms: requested 600000 exceeds the operator ceiling 300000".
import { AriRpcError } from '../client/ari-client.js';
import { LIMIT_TABLE } from '../contract/limits.js';
import type { LimitUnit } from '../contract/units.js';

/** The largest unit that writes n exactly: 300000 ms → 5m, 67108864 bytes → 64m (Docker's spelling). */
export function writeLike(n: number, unit: LimitUnit): string {
  const steps: [number, string][] = unit === 'duration' ? [[3_600_000, 'h'], [60_000, 'm'], [1000, 's'], [1, 'ms']]
    : unit === 'bytes' ? [[1024 ** 3, 'g'], [1024 ** 2, 'm'], [1024, 'k'], [1, '']] : [[1, '']];
  for (const [f, suffix] of steps) if (n % f === 0 && n >= f) return `${n / f}${suffix}`;
  return String(n);
}

const REFUSAL = /^limits\.(\w+): requested (\d+) exceeds (the operator ceiling|the agent's limit) (\d+)(.*)$/s;

/** A refusal of one of the flags given, rewritten; anything else is returned as it was. */
export function restateLimitError(e: unknown, flags: Record<string, string | undefined>): unknown {
  if (!(e instanceof AriRpcError) || e.code !== 'INVALID_ARGUMENT') return e;
  const m = REFUSAL.exec(e.details);
  const row = m && LIMIT_TABLE.find((r) => r.wire === m[1]);
  const given = row && flags[row.flag];
  if (!m || !row || given === undefined) return e;
  const tail = m[5]?.trim() ? ` ${m[5].trim()}` : '';
  return new AriRpcError(e.code, e.grpcCode, `--${row.flag} ${given} exceeds ${m[3]} ${writeLike(Number(m[4]), row.unit)}${tail}`);
}
