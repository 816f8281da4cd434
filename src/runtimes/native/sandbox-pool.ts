// Pre-started sandboxes for one agent (set up, agent blocked on stdin), each used for exactly one task, refilled off the hot path.
import type { Logger } from 'pino';
import type { SandboxProcess } from './sandbox-process.js';

/** After a failed start (ari's trouble, not the agent's), wait this long before trying again. */
const RETRY_MS = 1000;
/** No free uid to fill with: look again this soon (tasks always get uids first). */
const NO_UID_RETRY_MS = 50;
/**
 * A refill waits this long after the answer that triggered it. Spawning blocks the daemon's event loop until the
 * child has exec'd (libuv reads its error pipe synchronously): milliseconds on an idle host, tens on a loaded one.
 * Started at once, it delayed the very answer it follows by 16–140 ms on this 2-core host at load 20 (mostly 3–18 ms waiting 30 ms).
 */
const FILL_DELAY_MS = 20;
/**
 * CPU a pre-started sandbox may use before its task: set-up (bash, setpriv, prlimit, bwrap: ~7 ms measured) plus the
 * agent's own start-up until it blocks reading its task. More means it works while idle (a spinner), unpaid by any task.
 */
export const IDLE_CPU_MS = 100;
/** How often idle sandboxes' CPU is read (one cgroup file each): a spinner is caught within ~IDLE_CPU_MS + this. */
const IDLE_CHECK_MS = 50;
/** A new sandbox counts as settled once its CPU grew less than this over one check (then the next one is started). */
const QUIET_MS = 2;
/**
 * Idle misbehaviours (ending, or spinning, before a task) the pool tolerates: the first pauses the refill for
 * STRIKE_PAUSE_MS, the last stops the pool for good (the agent is reported in health; its tasks run cold).
 */
const MAX_STRIKES = 2;
const STRIKE_PAUSE_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class SandboxPool {
  private ready: SandboxProcess[] = [];
  private filling: Promise<void> | null = null;
  private retryTimer?: NodeJS.Timeout;
  private watchTimer?: NodeJS.Timeout;
  private closed = false;
  /** Sandboxes that ended before they were handed a task. */
  diedIdle = 0;
  /** Idle misbehaviours so far (ended or spun before a task). */
  strikes = 0;
  /** Why the pool stopped refilling for good; undefined while it works. */
  stopped?: string;

  /**
   * `key`: the sandbox limits every pooled sandbox was started with (see sandboxLimits). `start` resolves to a
   * started sandbox, or undefined when no uid is free now.
   */
  constructor(
    readonly size: number,
    readonly key: string,
    private readonly start: () => Promise<SandboxProcess | undefined>,
    private readonly logger?: Logger,
  ) {}

  get readyCount(): number {
    return this.ready.length;
  }

  /**
   * A live set-up sandbox that never ran a task, or undefined (the caller goes cold). The caller calls
   * scheduleFill() once the task answered; only an emptied pool refills right away.
   */
  take(): SandboxProcess | undefined {
    let s: SandboxProcess | undefined;
    while ((s = this.ready.shift()) && !s.usable) void s.discard();
    if (this.ready.length === 0) this.scheduleFill();
    return s;
  }

  /** Ends one idle sandbox so its uid can serve a task; false when none is idle. */
  discardOne(): boolean {
    const s = this.ready.pop();
    if (!s) return false;
    void s.discard();
    this.retryIn(NO_UID_RETRY_MS); // refill once a uid is free again (tasks get them first)
    return true;
  }

  /**
   * Fills up to `size`, one sandbox at a time, starting a moment later: spawning forks the daemon (milliseconds
   * of a blocked event loop) and costs CPU, which should not land between a task's hand-over and its answer.
   * The next sandbox starts only once the last one settled, so a spinning agent burns one core at most.
   */
  scheduleFill(): void {
    if (this.closed || this.stopped || this.filling || this.retryTimer || this.ready.length >= this.size) return;
    this.filling = (async () => {
      await sleep(FILL_DELAY_MS);
      try {
        while (!this.closed && !this.stopped && !this.retryTimer && this.ready.length < this.size) {
          const s = await this.start();
          if (!s) return this.retryIn(NO_UID_RETRY_MS);
          if (!(await s.ready) || this.closed) {
            if (this.closed) return void s.discard();
            this.diedIdle++;
            return this.strike(s, 'a pre-started sandbox ended before its task');
          }
          this.ready.push(s);
          this.watchIdle();
          void s.ended.then(() => this.lost(s));
          if (this.ready.length >= this.size) return; // full: a task taken from now on refills after its answer
          await this.settled(s);
        }
      } catch (e) {
        this.logger?.warn({ err: (e as Error).message }, 'native pool refill failed; retrying');
        this.retryIn(RETRY_MS);
      }
    })().finally(() => { this.filling = null; });
  }

  /** Resolves once `s` stopped using CPU, or left the pool (taken, struck, ended). */
  private async settled(s: SandboxProcess): Promise<void> {
    let last = s.cg.cpuMs();
    while (!this.closed && this.ready.includes(s)) {
      await sleep(IDLE_CHECK_MS);
      if (!this.ready.includes(s)) return;
      const now = s.cg.cpuMs();
      if (now - last < QUIET_MS) return;
      last = now;
    }
  }

  /** Reads every idle sandbox's CPU while there are any: one that works before its task is struck. */
  private watchIdle(): void {
    if (this.watchTimer) return;
    this.watchTimer = setInterval(() => {
      for (const s of [...this.ready]) {
        const cpu = s.usable ? s.cg.cpuMs() : 0;
        if (cpu > IDLE_CPU_MS) this.strike(s, `a pre-started sandbox used ${Math.round(cpu)} ms of CPU before its task (allowed: ${IDLE_CPU_MS} ms)`);
      }
      if (this.ready.length === 0) this.unwatch();
    }, IDLE_CHECK_MS);
    this.watchTimer.unref();
  }

  private unwatch(): void {
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
  }

  /** An idle sandbox ended by itself: retire it now rather than when someone next takes. */
  private lost(s: SandboxProcess): void {
    if (!this.ready.includes(s)) return;
    this.diedIdle++;
    this.strike(s, 'a pre-started sandbox ended before its task');
  }

  /** Ends `s` for misbehaving while idle; pauses the refill, or stops the pool at the last strike. */
  private strike(s: SandboxProcess, why: string): void {
    const i = this.ready.indexOf(s);
    if (i >= 0) this.ready.splice(i, 1);
    void s.discard();
    if (this.closed || this.stopped) return;
    this.strikes++;
    if (this.strikes < MAX_STRIKES) {
      this.logger?.warn({ reason: why, strikes: this.strikes }, 'native pool: pausing the refill');
      return this.retryIn(STRIKE_PAUSE_MS);
    }
    this.stopped = `${why}; pool stopped after ${this.strikes} such sandboxes, tasks run cold`;
    this.logger?.error({ reason: this.stopped }, 'native pool stopped');
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const r of this.ready.splice(0)) void r.discard();
    this.unwatch();
  }

  private retryIn(ms: number): void {
    if (this.closed || this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.scheduleFill(); }, ms);
    this.retryTimer.unref();
  }

  /** Waits until the pool holds `size` sandboxes (tests, benchmarks, warm-up). */
  async filled(timeoutMs = 10_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.ready.length < this.size && !this.closed && !this.stopped && Date.now() < until) {
      this.scheduleFill();
      await sleep(5);
    }
    return this.ready.length >= this.size;
  }

  /** Ends every pooled sandbox, including one still starting. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.unwatch();
    await this.filling;
    await Promise.allSettled(this.ready.splice(0).map((s) => s.discard()));
  }
}
