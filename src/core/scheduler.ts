// One bounded p-queue per backend: concurrency from config, and RESOURCE_EXHAUSTED instead of unbounded waiting.
import PQueue from 'p-queue';
import type { BackendConfig } from '../config/config-types.js';
import type { RuntimeName } from '../contract/agent.js';
import { DomainError } from './domain-error.js';

export class Scheduler {
  private readonly queues = new Map<RuntimeName, { queue: PQueue; max: number }>();

  constructor(backends: Record<RuntimeName, BackendConfig>, private readonly onChange?: (runtime: RuntimeName, queued: number, running: number) => void) {
    for (const [name, cfg] of Object.entries(backends) as [RuntimeName, BackendConfig][]) {
      const queue = new PQueue({ concurrency: cfg.concurrency });
      this.queues.set(name, { queue, max: cfg.queue });
      const report = () => this.onChange?.(name, queue.size, queue.pending);
      queue.on('active', report);
      queue.on('next', report);
      queue.on('add', report);
    }
  }

  /** Throws RESOURCE_EXHAUSTED when the backend's queue is full, so the caller records nothing. */
  admit(runtime: RuntimeName): void {
    const q = this.queues.get(runtime)!;
    if (q.queue.size >= q.max) {
      throw new DomainError('RESOURCE_EXHAUSTED', `the ${runtime} queue is full (${q.queue.size} waiting, ${q.queue.pending} running; limit ${q.max}): retry later`);
    }
  }

  run<T>(runtime: RuntimeName, job: () => Promise<T>): Promise<T> {
    return this.queues.get(runtime)!.queue.add(job) as Promise<T>;
  }

  stats(runtime: RuntimeName): { queued: number; running: number } {
    const q = this.queues.get(runtime)!.queue;
    return { queued: q.size, running: q.pending };
  }
}
