// Reads [limits.*] tables and per-agent limits: wire names as keys, numbers or strings with units.
import { LIMIT_KEYS, LIMIT_WIRE_NAMES, type LimitKey, type Limits } from '../contract/limits.js';
import { ConfigError, table } from './config-reader.js';
import { parseBytes, parseCount, parseDurationMs, UnitError } from './units.js';

export const BUILTIN_DEFAULT_LIMITS: Limits = {
  timeoutMs: 30_000,
  memoryBytes: 128 * 1024 ** 2,
  cpuMillis: 30_000,
  fuel: 10_000_000_000,
  pids: 64,
  outputBytes: 1024 ** 2,
};

export const BUILTIN_MAX_LIMITS: Limits = {
  timeoutMs: 300_000,
  memoryBytes: 2 * 1024 ** 3,
  cpuMillis: 300_000,
  fuel: 1_000_000_000_000,
  pids: 1024,
  outputBytes: 64 * 1024 ** 2,
};

const PARSERS: Record<LimitKey, (v: unknown, what: string) => number> = {
  timeoutMs: parseDurationMs,
  cpuMillis: parseDurationMs,
  memoryBytes: parseBytes,
  outputBytes: parseBytes,
  fuel: parseCount,
  pids: parseCount,
};

/** Parses a limits table; keys are the wire names (timeout_ms, memory_bytes, …). Zero is rejected: every limit is finite and real. */
export function readLimits(value: unknown, path: string): Partial<Limits> {
  const t = table(value, path, Object.values(LIMIT_WIRE_NAMES));
  const out: Partial<Limits> = {};
  for (const key of LIMIT_KEYS) {
    const wire = LIMIT_WIRE_NAMES[key];
    if (t[wire] === undefined) continue;
    try {
      const n = PARSERS[key](t[wire], `${path}.${wire}`);
      if (n <= 0) throw new ConfigError(`${path}.${wire}: must be greater than 0`);
      out[key] = n;
    } catch (e) {
      if (e instanceof UnitError) throw new ConfigError(e.message);
      throw e;
    }
  }
  return out;
}

/** Checks that no configured limit exceeds the operator ceiling. */
export function checkUnderCeiling(limits: Partial<Limits>, max: Limits, path: string): void {
  for (const key of LIMIT_KEYS) {
    const v = limits[key];
    if (v !== undefined && v > max[key]) {
      throw new ConfigError(`${path}.${LIMIT_WIRE_NAMES[key]} = ${v} exceeds the operator ceiling limits.max.${LIMIT_WIRE_NAMES[key]} = ${max[key]}`);
    }
  }
}
