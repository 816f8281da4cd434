// The limits model every backend enforces: ONE table, one row per limit; everything else loops over it.
import type { LimitUnit } from './units.js';

/** One limit: how it is named on the wire and in config, written, defaulted, capped, flagged and explained. */
export interface LimitRow {
  /** The domain key (camelCase), as in `Limits`. */
  readonly key: string;
  /** The proto field of ari.v1.Limits, and the key in [limits.default], [limits.max] and [agents.limits]. */
  readonly wire: string;
  readonly unit: LimitUnit;
  /** Built-in default, used when config sets none. */
  readonly default: number;
  /** Built-in operator ceiling, used when [limits.max] sets none. */
  readonly ceiling: number;
  /** `ari task submit` flag, without the dashes. */
  readonly flag: string;
  /** One line for --help and the config JSON Schema. */
  readonly help: string;
  /** What `formatLimits` prints before the value. */
  readonly label: string;
}

/**
 * Adding a limit = one row here (and the proto field of the same name) plus each backend's enforcement site,
 * declared in that backend's `Runtime.enforces`. Order is the order of help texts and printed limits.
 */
export const LIMIT_TABLE = [
  { key: 'timeoutMs', wire: 'timeout_ms', unit: 'duration', default: 30_000, ceiling: 300_000, flag: 'timeout', help: 'wall-clock limit (250ms, 5s, 2m)', label: 'timeout' },
  { key: 'memoryBytes', wire: 'memory_bytes', unit: 'bytes', default: 128 * 1024 ** 2, ceiling: 2 * 1024 ** 3, flag: 'memory', help: 'memory limit (64MiB, 1GiB, bytes)', label: 'memory' },
  { key: 'cpuMillis', wire: 'cpu_millis', unit: 'duration', default: 30_000, ceiling: 300_000, flag: 'cpu', help: 'CPU time limit', label: 'cpu' },
  { key: 'fuel', wire: 'fuel', unit: 'count', default: 10_000_000_000, ceiling: 1_000_000_000_000, flag: 'fuel', help: 'instruction budget (wasm)', label: 'fuel' },
  { key: 'pids', wire: 'pids', unit: 'count', default: 64, ceiling: 1024, flag: 'pids', help: 'process limit (docker, native)', label: 'pids' },
  { key: 'outputBytes', wire: 'output_bytes', unit: 'bytes', default: 1024 ** 2, ceiling: 64 * 1024 ** 2, flag: 'max-output', help: 'output cap', label: 'output' },
  // Egress budgets apply only to agents with a network policy ([agents.network]); without one there is no network.
  { key: 'egressBytes', wire: 'egress_bytes', unit: 'bytes', default: 64 * 1024 ** 2, ceiling: 4 * 1024 ** 3, flag: 'egress-bytes', help: 'egress budget, bytes both directions (agents with a network policy)', label: 'egress' },
  { key: 'egressConnections', wire: 'egress_connections', unit: 'count', default: 64, ceiling: 4096, flag: 'egress-connections', help: 'egress budget, upstream connections (agents with a network policy)', label: 'connections' },
] as const satisfies readonly LimitRow[];

type Row = (typeof LIMIT_TABLE)[number];
export type LimitKey = Row['key'];
export type LimitWireName = Row['wire'];
export type LimitFlag = Row['flag'];

/** Effective, fully resolved limits of one execution. All finite. */
export type Limits = { [K in LimitKey]: number };
/** The proto's Limits message as a plain object (0 = unset). */
export type WireLimits = { [K in LimitWireName]: number };

export const LIMIT_KEYS: readonly LimitKey[] = LIMIT_TABLE.map((r) => r.key);

const byKey = Object.fromEntries(LIMIT_TABLE.map((r) => [r.key, r])) as { [K in LimitKey]: Extract<Row, { key: K }> };
export function limitRow<K extends LimitKey>(key: K): LimitRow & Extract<Row, { key: K }> {
  return byKey[key];
}

function column(pick: (r: Row) => number): Limits {
  return Object.fromEntries(LIMIT_TABLE.map((r) => [r.key, pick(r)])) as Limits;
}

/** The proto / config spelling of each limit, used in error messages that name a limit. */
export const LIMIT_WIRE_NAMES = Object.fromEntries(LIMIT_TABLE.map((r) => [r.key, r.wire])) as { [K in LimitKey]: Extract<Row, { key: K }>['wire'] };
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze(column((r) => r.default));
export const CEILING_LIMITS: Readonly<Limits> = Object.freeze(column((r) => r.ceiling));
/** Every limit 0 (unset): for an ending whose task limits are unknown, instead of a hand-written literal. */
export const NO_LIMITS: Readonly<Limits> = Object.freeze(column(() => 0));

/**
 * Fixed per-sandbox file limits of the process backends (native rlimits, Docker ulimits and /tmp size): not
 * request limits (yet); defined once here so both backends agree. Promoting one to a limit = a table row.
 */
export const SANDBOX_FILE_LIMITS = Object.freeze({ openFiles: 256, fileSizeBytes: 16 * 1024 * 1024 });
