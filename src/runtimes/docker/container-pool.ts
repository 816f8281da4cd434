// Pre-started containers for one agent (attached, started, blocked on stdin, CPU-throttled until their task),
// refilled off the hot path; one that uses CPU or dies before its task is a strike: back off, then stop and say why.
import type { Logger } from 'pino';
import type { ContainerSession } from './container-session.js';

export interface IdlePolicy {
  /** CPU share a pooled container gets until its task arrives (its cgroup's quota: a kernel bound, not a watch). */
  cpuFraction: number;
  /** CPU a pooled container may spend before its task, start-up included; past it the container is a strike. */
  budgetMs: number;
  /** How often idle containers are checked. */
  checkMs: number;
  /** A container is settled (the next one may be started) once a check window saw at most this much CPU. */
  quietMs: number;
  /** Wait after the first strike (doubling after each further one). */
  backoffMs: number;
  /** Strikes after which the pool stops refilling and reports unhealthy (a taken, settled container resets them). */
  maxStrikes: number;
}

/** 2% of a core: an idle spinner costs at most that, and is found once it has spent 250 ms (12.5 s). */
export const DEFAULT_IDLE_POLICY: Readonly<IdlePolicy> = Object.freeze({
  cpuFraction: 0.02, budgetMs: 250, checkMs: 250, quietMs: 2, backoffMs: 5000, maxStrikes: 3,
});

interface Entry { s: ContainerSession; settled: boolean; lastCpu: number; gone: () => void; waiting: Promise<void> }

export class ContainerPool {
  private ready: Entry[] = [];
  private filling?: Promise<void>;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private watch?: NodeJS.Timeout;
  private strikes = 0;
  private lastStrike = '';
  private stopped = false;
  /** Removals of containers that left the pool without a task; close() waits for them. */
  private readonly dropping = new Set<Promise<void>>();

  /** `limitsKey`: the limits every pooled container was created with (containerLimitsKey). */
  constructor(
    readonly size: number,
    readonly limitsKey: string,
    private readonly open: () => Promise<ContainerSession>,
    private readonly policy: IdlePolicy = DEFAULT_IDLE_POLICY,
    private readonly logger?: Logger,
  ) {}

  get readyCount(): number {
    return this.ready.length;
  }

  /** False once the pool stopped refilling (see `status`). */
  get healthy(): boolean {
    return !this.stopped;
  }

  /** For health features: how many are ready, or why the pool backs off or stopped. */
  get status(): string {
    if (this.stopped) return `unhealthy: ${this.lastStrike}; refill stopped after ${this.strikes} strikes (tasks start cold)`;
    if (this.retryTimer) return `backing off: ${this.lastStrike} (strike ${this.strikes} of ${this.policy.maxStrikes})`;
    return `${this.ready.length}/${this.size} ready`;
  }

  /** A live pre-started container, or undefined (the caller takes the cold path). Triggers a refill. */
  take(): ContainerSession | undefined {
    let e: Entry | undefined;
    while ((e = this.ready.shift())) {
      e.gone();
      if (!e.s.dead) break;
      this.drop(e.s);
    }
    if (e?.settled) this.strikes = 0;
    this.scheduleFill();
    return e?.s;
  }

  /** Fills up to `size`, one container at a time, each started only once the previous one has settled. */
  scheduleFill(): void {
    if (this.closed || this.stopped || this.filling || this.retryTimer || this.ready.length >= this.size) return;
    this.filling = (async () => {
      while (!this.closed && !this.stopped && !this.retryTimer && this.ready.length < this.size) {
        let s: ContainerSession;
        try {
          s = await this.open();
        } catch (e) {
          return this.strike(`a pooled container could not be started: ${(e as Error).message}`);
        }
        if (this.closed) return this.drop(s);
        await this.admit(s).waiting;
      }
    })().finally(() => { this.filling = undefined; });
  }

  /** Waits until the pool holds `size` containers, or stopped (tests, benchmarks, warm-up). */
  async filled(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.ready.length < this.size && !this.closed && !this.stopped && Date.now() < until) {
      this.scheduleFill();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Removes every pooled container, including ones still being started. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watch);
    const all = this.ready.splice(0);
    for (const e of all) e.gone();
    await this.filling;
    for (const e of all) this.drop(e.s);
    await Promise.allSettled([...this.dropping]);
  }

  private admit(s: ContainerSession): Entry {
    let gone!: () => void;
    const waiting = new Promise<void>((r) => { gone = r; });
    const e: Entry = { s, settled: false, lastCpu: s.cpuMs(), gone, waiting };
    this.ready.push(e);
    void s.exited.then((code) => this.evict(e, `a pooled container exited before its task arrived (status ${code})`));
    this.watch ??= setInterval(() => this.check(), this.policy.checkMs).unref();
    return e;
  }

  /** Reads each idle container's CPU (a cgroup file per container): over budget is a strike, quiet is settled. */
  private check(): void {
    for (const e of [...this.ready]) {
      const cpu = e.s.cpuMs();
      if (cpu > this.policy.budgetMs) {
        this.evict(e, `a pooled container used ${cpu} ms of CPU before its task arrived (idle budget ${this.policy.budgetMs} ms)`);
        continue;
      }
      if (!e.settled && cpu - e.lastCpu <= this.policy.quietMs) {
        e.settled = true;
        e.gone(); // the fill loop may start the next one
      }
      e.lastCpu = cpu;
    }
    if (this.ready.length === 0 && !this.filling) {
      clearInterval(this.watch);
      this.watch = undefined;
    }
  }

  private evict(e: Entry, reason: string): void {
    const i = this.ready.indexOf(e);
    if (i < 0) return; // taken, or already evicted
    this.ready.splice(i, 1);
    e.gone();
    this.drop(e.s);
    this.strike(reason);
  }

  private drop(s: ContainerSession): void {
    const p = s.dispose().finally(() => this.dropping.delete(p));
    this.dropping.add(p);
  }

  private strike(reason: string): void {
    if (this.closed) return;
    this.strikes++;
    this.lastStrike = reason;
    if (this.strikes >= this.policy.maxStrikes) {
      this.stopped = true;
      this.logger?.warn({ reason, strikes: this.strikes }, 'docker pool stopped refilling; the agent\'s tasks start cold');
      return;
    }
    const wait = this.policy.backoffMs * 2 ** (this.strikes - 1);
    this.logger?.warn({ reason, retry_ms: wait }, 'docker pool backing off');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.scheduleFill(); }, wait).unref();
  }
}
