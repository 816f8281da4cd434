// Groups the journal writes of one event-loop turn into one SQLite transaction (one WAL commit instead of one per
// statement); every write's promise settles only after the commit that holds it, so an answer follows durability.
import type Database from 'better-sqlite3';

/** One write: `run` executes its statements and throws on a database error; `onError` is its answer to one. */
export interface BatchOp<T> {
  run: () => T;
  /** Called when `run` failed on its own (outside any group): returns the fallback or throws to reject. */
  onError: (e: unknown) => T;
}

interface Queued { op: BatchOp<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void }

export class WriteBatch {
  private queued: Queued[] = [];
  private scheduled = false;

  constructor(private readonly db: Database.Database) {}

  /** Queues `op` for the commit at the end of this turn. */
  add<T>(op: BatchOp<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Queues `op` without waiting for its commit (a write no answer depends on). */
  addQuietly(op: BatchOp<void>): void {
    void this.add(op).catch(() => undefined);
  }

  pending(): boolean {
    return this.queued.length > 0;
  }

  /** Commits what is queued now (before a read, so a reader sees every write made before it). */
  flush(): void {
    this.scheduled = false;
    const ops = this.queued;
    if (ops.length === 0) return;
    this.queued = [];
    let values: unknown[] | undefined;
    if (ops.length > 1) {
      try {
        values = this.db.transaction(() => ops.map((q) => q.op.run()))();
      } catch {
        values = undefined; // rolled back as a whole: every write is retried on its own below
      }
    }
    if (values) {
      ops.forEach((q, i) => q.resolve(values![i]));
      return;
    }
    for (const q of ops) {
      try {
        q.resolve(this.runAlone(q.op));
      } catch (e) {
        q.reject(e);
      }
    }
  }

  private runAlone(op: BatchOp<unknown>): unknown {
    try {
      return op.run();
    } catch (e) {
      return op.onError(e);
    }
  }
}
