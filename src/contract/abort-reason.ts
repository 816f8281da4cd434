// Why a task's AbortSignal fired: a caller's cancel, or a limit enforced outside the backend (the egress proxy).
import type { KillReason } from './classify.js';

/**
 * The abort reason the task service uses when a limit enforced outside the sandbox (an egress budget) is crossed:
 * the backend kills the sandbox as for a cancel, but records this kill reason, so classify() reports the limit.
 */
export class LimitAbort extends Error {
  constructor(readonly kill: Exclude<KillReason, 'CANCELLED'>, message: string) {
    super(message);
    this.name = 'LimitAbort';
  }
}

/** The kill reason an aborted signal stands for: a LimitAbort's limit, otherwise CANCELLED. */
export function killReasonOf(signal: AbortSignal): KillReason {
  return signal.reason instanceof LimitAbort ? signal.reason.kill : 'CANCELLED';
}
