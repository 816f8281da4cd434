// What every backend's validated settings ([runtimes.<name>]) have; each backend's own fields live in its folder.

/** What every backend's queue is sized by (the scheduler's part). */
export interface SchedulingConfig {
  /** Tasks running at once on this backend. */
  concurrency: number;
  /** Tasks waiting beyond those running; past it, RESOURCE_EXHAUSTED. */
  queue: number;
}
