// What enforces each limit on the native backend (reported by `ari health`; null = refused when a request sets it).
import type { LimitEnforcement } from '../runtime.js';

export const NATIVE_ENFORCES: LimitEnforcement = {
  timeoutMs: 'deadline + cgroup kill',
  memoryBytes: 'memory cgroup',
  cpuMillis: 'RLIMIT_CPU + cpuacct watchdog',
  fuel: null, // instruction counting exists only for wasm
  pids: 'RLIMIT_NPROC + pids cgroup',
  outputBytes: 'stdout/stderr cap + kill',
  egressBytes: 'egress proxy session budget',
  egressConnections: 'egress proxy session budget',
};
