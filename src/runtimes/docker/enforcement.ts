// What enforces each limit on the docker backend (reported by `ari health`; null = refused when a request sets it).
import type { LimitEnforcement } from '../runtime.js';

/** CPU time is only measurable through a task cgroup of our own (not under the systemd cgroup driver). */
export function dockerEnforces(taskCgroups: boolean): LimitEnforcement {
  return {
    timeoutMs: 'deadline + container kill',
    memoryBytes: taskCgroups ? 'fenced cgroup parent (tmpfs and image volumes included)' : 'container memory cgroup',
    cpuMillis: taskCgroups ? 'task cgroup cpuacct watchdog' : null,
    fuel: null, // instruction counting exists only for wasm
    pids: 'container pids cgroup',
    outputBytes: 'attach stream cap + kill',
    egressBytes: 'egress proxy session budget',
    egressConnections: 'egress proxy session budget',
  };
}
