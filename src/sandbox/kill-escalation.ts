// Why a process-based sandbox was ended by us, what that is called, and the timings of ending it.
import type { Limits } from './limits.js';

/** Why we ended a sandbox ourselves; the first reason wins and becomes the task's status. */
export type KillReason = 'TIMEOUT' | 'CPU_LIMIT' | 'OUTPUT_LIMIT' | 'CANCELLED';

export function killMessage(reason: KillReason, limits: Limits): string {
  switch (reason) {
    case 'TIMEOUT': return `timed out after ${limits.timeoutMs} ms`;
    case 'CPU_LIMIT': return `CPU time limit of ${limits.cpuMillis} ms exceeded`;
    case 'OUTPUT_LIMIT': return `output exceeded ${limits.outputBytes} bytes`;
    case 'CANCELLED': return 'cancelled';
  }
}

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
