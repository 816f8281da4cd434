// Pre-started containers for one agent (attached, started, blocked on stdin), refilled off the hot path.
import type { Logger } from 'pino';
import type { ContainerSession } from './container-session.js';

/** After a failed refill, wait this long before trying again (an engine hiccup must not spin). */
const RETRY_MS = 1000;

export class ContainerPool {
  private ready: ContainerSession[] = [];
  private filling = 0;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly pendingFills = new Set<Promise<void>>();

  /** `limitsKey`: the container-level limits every pooled container was created with. */
  constructor(
    readonly size: number,
    readonly limitsKey: string,
    private readonly open: () => Promise<ContainerSession>,
    private readonly logger?: Logger,
  ) {}

  get readyCount(): number {
    return this.ready.length;
  }

  /** A live pre-started container, or undefined (the caller takes the cold path). Triggers a refill. */
  take(): ContainerSession | undefined {
    let s: ContainerSession | undefined;
    while ((s = this.ready.shift())) {
      if (!s.dead) break;
      void s.dispose();
    }
    this.scheduleFill();
    return s;
  }

  /** Starts filling up to `size`, one container at a time so the engine keeps serving running tasks first. */
  scheduleFill(): void {
    if (this.closed || this.filling > 0 || this.retryTimer || this.ready.length >= this.size) return;
    this.filling++;
    const fill = (async () => {
      try {
        while (!this.closed && this.ready.length < this.size) {
          const s = await this.open();
          if (this.closed) { await s.dispose(); return; }
          this.ready.push(s);
        }
      } catch (e) {
        this.logger?.warn({ err: (e as Error).message }, 'docker pool refill failed; retrying');
        if (!this.closed) this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.scheduleFill(); }, RETRY_MS).unref();
      } finally {
        this.filling--;
      }
    })();
    this.pendingFills.add(fill);
    void fill.finally(() => this.pendingFills.delete(fill));
  }

  /** Waits until the pool holds `size` containers (tests, benchmarks, warm-up). */
  async filled(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.ready.length < this.size && !this.closed && Date.now() < until) {
      this.scheduleFill();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Removes every pooled container, including ones still being started. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await Promise.allSettled([...this.pendingFills]);
    const all = this.ready;
    this.ready = [];
    await Promise.allSettled(all.map((s) => s.dispose()));
  }
}
