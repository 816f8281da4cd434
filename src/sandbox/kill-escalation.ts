// The timings of ending a process-based sandbox: the CPU watch and the reap wait.

/** How often a sandbox's cgroup CPU time is compared with its budget. */
export const CPU_POLL_MS = 20;

/** Calls `onBreach` once the CPU time read from the cgroup reaches the budget; clear the returned timer when done. */
export function watchCpu(cpuMs: () => number, budgetMs: number, onBreach: () => void): NodeJS.Timeout {
  return setInterval(() => { if (cpuMs() >= budgetMs) onBreach(); }, CPU_POLL_MS);
}

/** After a forced kill, how long to wait for the process tree to be reaped before reporting a leak. */
export const REAP_TIMEOUT_MS = 2000;
/** Poll interval while waiting for a cgroup or pid namespace to empty. */
export const REAP_POLL_MS = 5;
