// Hands out one host uid per running sandbox: RLIMIT_NPROC counts per uid, so tasks sharing one would starve each other.

export class UidPool {
  private readonly free: number[];
  private readonly waiters: ((uid: number) => void)[] = [];

  constructor(readonly start: number, readonly count: number) {
    if (!Number.isInteger(start) || start < 1000) throw new RangeError(`uid pool start ${start} must be an integer ≥ 1000 (never a system or root uid)`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`uid pool size ${count} must be ≥ 1`);
    if (start + count > 2 ** 32 - 2) throw new RangeError(`uid pool [${start}, ${start + count}) exceeds the uid space`);
    this.free = Array.from({ length: count }, (_, i) => start + i);
  }

  contains(uid: number): boolean {
    return uid >= this.start && uid < this.start + this.count;
  }

  get available(): number {
    return this.free.length;
  }

  /** A free uid now, or undefined (never waits: for work that must not hold up tasks, like filling a pool). */
  tryAcquire(): number | undefined {
    return this.free.shift();
  }

  /** Callers waiting in acquire(). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** A free uid now, or the next one released (the scheduler normally keeps concurrency ≤ pool size). */
  acquire(signal?: AbortSignal): Promise<number> {
    const uid = this.free.shift();
    if (uid !== undefined) return Promise.resolve(uid);
    return new Promise((resolve, reject) => {
      const waiter = (u: number): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(u);
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Only call once no process of this uid is left (the task's cgroup is empty). */
  release(uid: number): void {
    if (!this.contains(uid)) throw new RangeError(`uid ${uid} is not from this pool`);
    if (this.free.includes(uid)) throw new Error(`uid ${uid} released twice`);
    const next = this.waiters.shift();
    if (next) next(uid);
    else this.free.push(uid);
  }
}
