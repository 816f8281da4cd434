// The pool's watchdogs over one running task: they give up on a worker whose own checks cannot answer in time
// (a long host call, instantiating a huge module, code V8 does not interrupt quickly) and tell the pool to abandon it.
import type { Observation } from '../../../contract/classify.js';

/**
 * The promise: a task is answered within this long past its deadline (or cancel, or CPU budget) whatever its
 * worker is doing. The worker's own checks answer within about a millisecond; this bounds the rest.
 */
export const STUCK_BOUND_MS = 100;
/**
 * A worker that got almost no CPU in that window is starved by a loaded host, not stuck (a fresh one would be
 * starved too): it gets further windows, up to this long past the deadline, before it is abandoned all the same.
 */
export const STARVED_BOUND_MS = 500;
/** CPU a worker must have used in a STUCK_BOUND_MS window to count as running (not starved). */
const BUSY_CPU_MS = STUCK_BOUND_MS / 4;

/** What a watchdog needs of the task it watches. */
export interface Watched {
  /** Timers to clear when the task ends. */
  timers: NodeJS.Timeout[];
  /** The task still runs on this worker (not answered, not abandoned). */
  current(): boolean;
  /** The worker thread's CPU clock in ms, or null when unreadable. */
  cpuMs(): number | null;
  /** Delivers an answer that already sits in the channel, if any. */
  takeResult(): void;
  abandon(obs: Observation): void;
}

/**
 * From `dueAt` (a deadline, a cancel), the worker has STUCK_BOUND_MS to answer; one that used CPU in that window
 * without answering is stuck and abandoned; one that got almost none is starved and waits, up to STARVED_BOUND_MS.
 */
export function watchStuck(w: Watched, dueAt: number, obs: Observation): void {
  const window = (cpuBefore: number | null) => w.timers.push(setTimeout(() => {
    if (!w.current()) return;
    // On a loaded host the answer may already sit in the channel behind this timer: take it rather than abandon.
    w.takeResult();
    if (!w.current()) return;
    const cpu = w.cpuMs();
    const busy = cpu === null || cpuBefore === null || cpu - cpuBefore >= BUSY_CPU_MS;
    if (busy || Date.now() >= dueAt + STARVED_BOUND_MS) w.abandon(obs);
    else window(cpu);
  }, STUCK_BOUND_MS).unref());
  w.timers.push(setTimeout(() => window(w.cpuMs()), Math.max(0, dueAt - Date.now())).unref());
}

/**
 * A thread uses at most wall time in CPU, so a budget cannot be spent before start + cpuMillis: look then, and
 * again when what is left could be spent. The worker's own checks stop it first; this catches a stuck one.
 */
export function watchCpu(w: Watched, cpuMillis: number): void {
  const start = w.cpuMs();
  if (start === null) return;
  const look = (afterMs: number) => w.timers.push(setTimeout(() => {
    if (!w.current()) return;
    const used = (w.cpuMs() ?? start) - start;
    if (used < cpuMillis + STUCK_BOUND_MS) return look(cpuMillis + STUCK_BOUND_MS - used);
    w.takeResult();
    if (w.current()) w.abandon({ killedFor: 'CPU_LIMIT' });
  }, afterMs).unref());
  look(cpuMillis + STUCK_BOUND_MS);
}
