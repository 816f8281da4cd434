// Pre-started sandboxes for one agent (set up, agent blocked on stdin), each used for exactly one task, refilled off the hot path.
import type { Logger } from 'pino';
import type { SandboxProcess } from './sandbox-process.js';

/** After a failed start (or an agent that dies before its task), wait this long: a broken agent must not spin. */
const RETRY_MS = 1000;
/** No free uid to fill with: look again this soon (tasks always get uids first). */
const NO_UID_RETRY_MS = 50;
/**
 * A refill waits this long after the answer that triggered it. Spawning blocks the daemon's event loop until the
 * child has exec'd (libuv reads its error pipe synchronously): milliseconds on an idle host, tens on a loaded one.
 * Started at once, it delayed the very answer it follows by 16–140 ms on this 2-core host at load 20 (mostly 3–18 ms waiting 30 ms).
 */
const FILL_DELAY_MS = 20;

export class SandboxPool {
  private ready: SandboxProcess[] = [];
  private filling: Promise<void> | null = null;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  /** Sandboxes that ended before they were handed a task (each pauses the refill). */
  diedIdle = 0;

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
   */
  scheduleFill(): void {
    if (this.closed || this.filling || this.retryTimer || this.ready.length >= this.size) return;
    this.filling = (async () => {
      await new Promise((r) => setTimeout(r, FILL_DELAY_MS));
      try {
        while (!this.closed && this.ready.length < this.size) {
          const s = await this.start();
          if (!s) return this.retryIn(NO_UID_RETRY_MS);
          if (!(await s.ready) || this.closed) {
            void s.discard();
            if (this.closed) return;
            this.diedIdle++;
            this.logger?.warn('native pool: a pre-started sandbox ended before its task; pausing the refill');
            return this.retryIn(RETRY_MS);
          }
          this.ready.push(s);
          void s.ended.then(() => this.lost(s));
        }
      } catch (e) {
        this.logger?.warn({ err: (e as Error).message }, 'native pool refill failed; retrying');
        this.retryIn(RETRY_MS);
      }
    })().finally(() => { this.filling = null; });
  }

  /** An idle sandbox ended by itself: retire it now rather than when someone next takes. */
  private lost(s: SandboxProcess): void {
    const i = this.ready.indexOf(s);
    if (i < 0) return;
    this.ready.splice(i, 1);
    void s.discard();
    this.diedIdle++;
    this.logger?.warn('native pool: a pre-started sandbox ended before its task; pausing the refill');
    this.retryIn(RETRY_MS);
  }

  private retryIn(ms: number): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.scheduleFill(); }, ms);
    this.retryTimer.unref();
  }

  /** Waits until the pool holds `size` sandboxes (tests, benchmarks, warm-up). */
  async filled(timeoutMs = 10_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.ready.length < this.size && !this.closed && Date.now() < until) {
      this.scheduleFill();
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.ready.length >= this.size;
  }

  /** Ends every pooled sandbox, including one still starting. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.filling;
    await Promise.allSettled(this.ready.splice(0).map((s) => s.discard()));
  }
}
