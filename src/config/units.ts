// Parses limit values from config and flags: plain numbers, or strings with units ("5s", "64MiB", "1e9").

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3,
};

export class UnitError extends Error {}

function parseWith(value: unknown, what: string, units: Record<string, number>, defaultUnit: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || !Number.isInteger(value)) {
      throw new UnitError(`${what}: ${value} is not a non-negative integer`);
    }
    return value;
  }
  if (typeof value !== 'string') throw new UnitError(`${what}: expected a number or a string with a unit, got ${JSON.stringify(value)}`);
  const m = /^\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) throw new UnitError(`${what}: cannot parse ${JSON.stringify(value)}`);
  const unit = (m[2] || defaultUnit).toLowerCase();
  const factor = units[unit];
  if (factor === undefined) {
    throw new UnitError(`${what}: unknown unit ${JSON.stringify(m[2])} in ${JSON.stringify(value)} (use ${Object.keys(units).filter(Boolean).join(', ')})`);
  }
  const n = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(n)) throw new UnitError(`${what}: ${JSON.stringify(value)} is too large`);
  return n;
}

/** Milliseconds from 250, "250ms", "5s", "2m". */
export function parseDurationMs(value: unknown, what = 'duration'): number {
  return parseWith(value, what, DURATION_UNITS, 'ms');
}

/** Bytes from 1024, "64MiB", "1GiB", "10MB". */
export function parseBytes(value: unknown, what = 'size'): number {
  return parseWith(value, what, SIZE_UNITS, '');
}

/** A plain count (fuel, pids), allowing "1e9". */
export function parseCount(value: unknown, what = 'count'): number {
  return parseWith(value, what, { '': 1, k: 1e3, m: 1e6, g: 1e9 }, '');
}
