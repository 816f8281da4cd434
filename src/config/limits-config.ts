// Reads [limits.default], [limits.max] and [agents.limits]: a loop over the limit table (wire names as keys, units).
import { CEILING_LIMITS, DEFAULT_LIMITS, LIMIT_TABLE, type Limits } from '../contract/limits.js';
import { UNITS, UnitError } from '../contract/units.js';
import { ConfigError, table } from './config-reader.js';

export const BUILTIN_DEFAULT_LIMITS: Readonly<Limits> = DEFAULT_LIMITS;
export const BUILTIN_MAX_LIMITS: Readonly<Limits> = CEILING_LIMITS;

const CONFIG_KEYS = LIMIT_TABLE.map((r) => r.wire);

/** Parses a limits table; keys are the wire names (timeout_ms, memory_bytes, …). Zero is rejected: every limit is finite and real. */
export function readLimits(value: unknown, path: string): Partial<Limits> {
  const t = table(value, path, CONFIG_KEYS);
  const out: Partial<Limits> = {};
  for (const row of LIMIT_TABLE) {
    if (t[row.wire] === undefined) continue;
    const at = `${path}.${row.wire}`;
    let n: number;
    try {
      n = UNITS[row.unit].parse(t[row.wire], at);
    } catch (e) {
      throw e instanceof UnitError ? new ConfigError(e.message) : e;
    }
    if (n <= 0) throw new ConfigError(`${at}: must be greater than 0`);
    out[row.key] = n;
  }
  return out;
}

/** Checks that no configured limit exceeds the operator ceiling. */
export function checkUnderCeiling(limits: Partial<Limits>, max: Limits, path: string): void {
  for (const { key, wire } of LIMIT_TABLE) {
    const v = limits[key];
    if (v !== undefined && v > max[key]) {
      throw new ConfigError(`${path}.${wire} = ${v} exceeds the operator ceiling limits.max.${wire} = ${max[key]}`);
    }
  }
}

/** [limits]: the built-in table overlaid by [limits.max], then [limits.default] (checked against, and capped by, max). */
export function readLimitsSection(value: unknown): { default: Limits; max: Limits } {
  const lim = table(value, 'limits', ['default', 'max']);
  const max: Limits = { ...CEILING_LIMITS, ...readLimits(lim.max, 'limits.max') };
  const set = readLimits(lim.default, 'limits.default');
  checkUnderCeiling(set, max, 'limits.default');
  const defaults = { ...DEFAULT_LIMITS, ...set };
  for (const { key } of LIMIT_TABLE) defaults[key] = Math.min(defaults[key], max[key]);
  return { default: defaults, max };
}
