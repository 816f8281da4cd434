// The limits model every backend enforces.

/** Effective, fully resolved limits of one execution. All finite. */
export interface Limits {
  timeoutMs: number;
  memoryBytes: number;
  cpuMillis: number;
  fuel: number;
  pids: number;
  outputBytes: number;
}

export const LIMIT_KEYS = ['timeoutMs', 'memoryBytes', 'cpuMillis', 'fuel', 'pids', 'outputBytes'] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

/** The proto / config spelling of each limit, used in error messages that name a limit. */
export const LIMIT_WIRE_NAMES: Record<LimitKey, string> = {
  timeoutMs: 'timeout_ms',
  memoryBytes: 'memory_bytes',
  cpuMillis: 'cpu_millis',
  fuel: 'fuel',
  pids: 'pids',
  outputBytes: 'output_bytes',
};
