// Fans task updates out to StreamUpdates subscribers; subscribers of a finished task get its outcome replayed.
import type { TaskUpdate } from './task-record.js';

export type UpdateListener = (update: TaskUpdate) => void;

export class UpdateBus {
  private readonly listeners = new Map<string, Set<UpdateListener>>();

  subscribe(taskId: string, listener: UpdateListener): () => void {
    let set = this.listeners.get(taskId);
    if (!set) this.listeners.set(taskId, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(taskId);
    };
  }

  publish(update: TaskUpdate): void {
    const set = this.listeners.get(update.taskId);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(update);
      } catch {
        set.delete(l);
      }
    }
    if (update.kind === 'result') this.listeners.delete(update.taskId);
  }

  ids(): IterableIterator<string> {
    return this.listeners.keys();
  }

  has(taskId: string): boolean {
    return this.listeners.has(taskId);
  }

  subscriberCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
