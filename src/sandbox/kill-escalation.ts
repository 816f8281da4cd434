// Named kill-escalation timings shared by the process-based backends.

/** Grace between a polite stop (SIGTERM / docker stop) and the forced kill. */
export const KILL_GRACE_MS = 0;
/** After a forced kill, how long to wait for the process tree to be reaped before reporting a leak. */
export const REAP_TIMEOUT_MS = 2000;
/** Poll interval while waiting for a cgroup or pid namespace to empty. */
export const REAP_POLL_MS = 5;
