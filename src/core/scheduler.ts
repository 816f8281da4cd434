// One bounded p-queue per backend: concurrency from config, and RESOURCE_EXHAUSTED instead of unbounded waiting.
import PQueue from 'p-queue';
import type { BackendConfig } from '../config/config-types.js';
import type { RuntimeName } from '../contract/agent.js';
import { DomainError } from './domain-error.js';

interface Lane {
  queue: PQueue;
  max: number;
  concurrency: number;
  /** Slots promised to tasks about to be claimed (a fleet claim is a round trip away from run()). */
  reserved: number;
}

export class Scheduler {
  private readonly queues = new Map<RuntimeName, Lane>();

  // No queue listeners: the depth and running gauges read stats() when scraped (three callbacks a task saved).
  constructor(backends: Record<RuntimeName, BackendConfig>) {
    for (const [name, cfg] of Object.entries(backends) as [RuntimeName, BackendConfig][]) {
      this.queues.set(name, { queue: new PQueue({ concurrency: cfg.concurrency }), max: cfg.queue, concurrency: cfg.concurrency, reserved: 0 });
    }
  }

  /** Throws RESOURCE_EXHAUSTED when the backend's queue is full, so the caller records nothing. */
  admit(runtime: RuntimeName): void {
    const q = this.queues.get(runtime)!;
    if (q.queue.size >= q.max) {
      throw new DomainError('RESOURCE_EXHAUSTED', `the ${runtime} queue is full (${q.queue.size} waiting, ${q.queue.pending} running; limit ${q.max}): retry later`);
    }
  }

  /** The backend's queue bound (fleet-wide in a fleet). */
  queueLimit(runtime: RuntimeName): number {
    return this.queues.get(runtime)!.max;
  }

  /** Slots neither running, queued nor reserved. */
  free(runtime: RuntimeName): number {
    const q = this.queues.get(runtime)!;
    return Math.max(0, q.concurrency - q.queue.size - q.queue.pending - q.reserved);
  }

  /** Reserves up to n free slots; returns how many. Each is given back by release() or used by run(…, true). */
  reserve(runtime: RuntimeName, n: number): number {
    const got = Math.min(n, this.free(runtime));
    this.queues.get(runtime)!.reserved += got;
    return got;
  }

  release(runtime: RuntimeName, n = 1): void {
    const q = this.queues.get(runtime)!;
    q.reserved = Math.max(0, q.reserved - n);
  }

  run<T>(runtime: RuntimeName, job: () => Promise<T>, reserved = false): Promise<T> {
    if (reserved) this.release(runtime);
    return this.queues.get(runtime)!.queue.add(job) as Promise<T>;
  }

  stats(runtime: RuntimeName): { queued: number; running: number } {
    const q = this.queues.get(runtime)!.queue;
    return { queued: q.size, running: q.pending };
  }
}
