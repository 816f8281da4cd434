// The three units a limit is written in (durations, sizes, counts): one parser each, shared by config and flags.

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
// As Docker reads sizes: k/m/g are binary (64m = 64 MiB). KB/MB/GB are refused: half of readers take them as decimal.
const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3,
};
const AMBIGUOUS_SIZE = /^([0-9.e]+)\s*([kmgt])b$/i;
const COUNT_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

export class UnitError extends Error {}

/** A number with an optional unit suffix; the JSON Schema of the config uses the same pattern. */
const VALUE_PATTERN = /^\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*$/;
export const UNIT_VALUE_PATTERN = VALUE_PATTERN.source;

function parseWith(value: unknown, what: string, units: Record<string, number>, defaultUnit: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || !Number.isInteger(value)) {
      throw new UnitError(`${what}: ${value} is not a non-negative integer`);
    }
    return value;
  }
  if (typeof value !== 'string') throw new UnitError(`${what}: expected a number or a string with a unit, got ${JSON.stringify(value)}`);
  const m = VALUE_PATTERN.exec(value);
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

/** Bytes from 1024, "64MiB", "64m" (= 64 MiB, as Docker), "1GiB"; "10MB" is refused as ambiguous. */
export function parseBytes(value: unknown, what = 'size'): number {
  const amb = typeof value === 'string' ? AMBIGUOUS_SIZE.exec(value.trim()) : null;
  if (amb) {
    const [, n, u] = amb;
    throw new UnitError(`${what}: ${JSON.stringify(value)} is ambiguous (decimal or binary?): write ${n}${u!.toUpperCase()}iB or ${n}${u!.toLowerCase()} for binary, or the number of bytes`);
  }
  return parseWith(value, what, SIZE_UNITS, '');
}

/** A plain count (fuel, pids), allowing "1e9". */
export function parseCount(value: unknown, what = 'count'): number {
  return parseWith(value, what, COUNT_UNITS, '');
}

export type LimitUnit = 'duration' | 'bytes' | 'count';

/** Each unit's parser, its placeholder in help texts and the examples a usage error offers. */
export const UNITS: Record<LimitUnit, { parse: (v: unknown, what: string) => number; metavar: string; expected: string }> = {
  duration: { parse: parseDurationMs, metavar: 'DUR', expected: 'expected a number with an optional unit ms, s, m or h (e.g. 250ms, 5s, 2m)' },
  bytes: { parse: parseBytes, metavar: 'SIZE', expected: 'expected bytes or a number with a unit k, m, g, KiB, MiB, GiB (binary, as Docker: 64m = 64 MiB)' },
  count: { parse: parseCount, metavar: 'N', expected: 'expected a positive whole number (e.g. 1000000 or 1e9)' },
};
