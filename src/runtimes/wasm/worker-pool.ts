// A fixed pool of warm worker threads running wasm tasks; a worker that overruns its deadline is replaced.
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { emptyUsage, type ErrorCode, type ExecutionResult, type TerminalStatus } from '../../contract/outcome.js';
import { createChannelBuffer, WorkerChannel } from './worker-channel.js';
import { startWorker } from './worker-entry.js';
import type { RunRequest, WasmAbi, WasmArtifact, WorkerReply } from './worker-protocol.js';

/** How long past the deadline (or a cancel) a worker may stay silent before it is terminated. */
export const BACKSTOP_GRACE_MS = 250;
const BACKSTOP_MESSAGE = `deadline exceeded; worker terminated after ${BACKSTOP_GRACE_MS} ms grace`;
/** Pause before respawning a worker that died while starting (so a broken install cannot spin). */
const BOOT_RETRY_MS = 1000;

export interface PoolJob {
  moduleKey: string;
  module: WasmArtifact;
  abi: WasmAbi;
  agentId: string;
  env: Record<string, string>;
  document: string;
  limits: RunRequest['limits'];
  signal: AbortSignal;
  onLog?: (line: string) => void;
}

interface Pending { job: PoolJob; resolve: (r: ExecutionResult) => void; onQueuedAbort: () => void }
interface Running extends Pending {
  id: number; startedAt: number; timers: NodeJS.Timeout[]; onAbort: () => void;
  /** Its worker is being terminated: no further cancel or backstop applies. */
  ending?: boolean;
}
interface Slot { worker: Worker; cancel: Int32Array; channel: WorkerChannel; modules: Set<string>; ready: boolean; running?: Running }

function stopped(status: TerminalStatus, message: string, startedAt: number, code?: ErrorCode): ExecutionResult {
  const usage = { ...emptyUsage(), wallMs: Date.now() - startedAt };
  const errorCode = code ?? (status === 'FAILED' ? 'CRASHED' : status as ErrorCode);
  return { status, error: { code: errorCode, message }, usage, metrics: {} };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly live = new Set<Worker>();
  private nextJobId = 1;
  private closed = false;
  private replaced = 0;
  /** Why the last worker died before it was ready; cleared when one becomes ready. */
  bootError: string | undefined;

  constructor(private readonly size: number, private readonly logger?: Logger) {}

  /** Starts the workers (idempotent). */
  start(): void {
    while (!this.closed && this.slots.length < this.size) {
      const slot = {} as Slot;
      this.attachWorker(slot);
      this.slots.push(slot);
    }
  }

  workerCount(): number {
    return this.live.size;
  }

  /** Workers terminated and replaced so far (a deadline met by the fuel slices replaces none). */
  replacedCount(): number {
    return this.replaced;
  }

  run(job: PoolJob): Promise<ExecutionResult> {
    const now = Date.now();
    if (this.closed) return Promise.resolve(stopped('CANCELLED', 'wasm runtime is closed', now));
    if (job.signal.aborted) return Promise.resolve(stopped('CANCELLED', 'task cancelled before it started', now));
    if (this.bootError) return Promise.resolve(stopped('FAILED', `wasm workers cannot start: ${this.bootError}`, now, 'SANDBOX_ERROR'));
    this.start();
    return new Promise((resolve) => {
      const pending: Pending = {
        job, resolve,
        onQueuedAbort: () => {
          const i = this.queue.indexOf(pending);
          if (i >= 0) { this.queue.splice(i, 1); resolve(stopped('CANCELLED', 'task cancelled before it started', now)); }
        },
      };
      // A free worker takes the task at once, with no queued-abort listener to add and remove.
      const free = this.queue.length === 0 ? this.freeSlot() : undefined;
      if (free) return this.begin(free, pending);
      this.queue.push(pending);
      job.signal.addEventListener('abort', pending.onQueuedAbort, { once: true });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve(stopped('CANCELLED', 'wasm runtime closed', Date.now()));
    for (const slot of this.slots) if (slot.running) this.finish(slot, stopped('CANCELLED', 'wasm runtime closed', slot.running.startedAt));
    for (const slot of this.slots) slot.channel.release();
    this.slots.length = 0;
    await Promise.all([...this.live].map((w) => w.terminate()));
  }

  /** Gives `slot` a fresh worker; events of a worker the slot no longer holds are ignored. */
  private attachWorker(slot: Slot): void {
    slot.channel?.release();
    const cancel = new SharedArrayBuffer(4);
    const buffer = createChannelBuffer();
    const worker = startWorker({ cancel, channel: buffer });
    const channel = new WorkerChannel(buffer);
    Object.assign(slot, { worker, cancel: new Int32Array(cancel), channel, modules: new Set(), ready: false });
    this.live.add(worker);
    worker.unref();
    channel.watchResults((jobId, result, logs) => {
      if (slot.worker !== worker) return;
      for (const line of logs) this.onReply(slot, { type: 'log', jobId, line });
      this.onReply(slot, { type: 'result', jobId, result });
    });
    worker.on('message', (m: WorkerReply) => { if (slot.worker === worker) this.onReply(slot, m); });
    worker.on('error', (e) => { if (slot.worker === worker) this.onDeath(slot, e.message); });
    worker.on('exit', (code) => {
      this.live.delete(worker);
      if (slot.worker === worker) this.onDeath(slot, `exited with code ${code}`);
    });
  }

  private onDeath(slot: Slot, why: string): void {
    if (this.closed) return;
    if (slot.ready) return this.replace(slot, 'FAILED', `wasm worker died: ${why}`);
    this.bootError = why;
    this.logger?.error({ runtime: 'wasm', err: why }, 'wasm worker failed to start');
    for (const p of this.queue.splice(0)) p.resolve(stopped('FAILED', `wasm workers cannot start: ${why}`, Date.now(), 'SANDBOX_ERROR'));
    const dead = slot.worker;
    setTimeout(() => { if (slot.worker === dead && !this.closed) this.attachWorker(slot); }, BOOT_RETRY_MS).unref();
  }

  private dispatch(): void {
    for (let slot = this.freeSlot(); slot && this.queue.length > 0; slot = this.freeSlot()) {
      const pending = this.queue.shift()!;
      pending.job.signal.removeEventListener('abort', pending.onQueuedAbort);
      this.begin(slot, pending);
    }
  }

  /** A free slot, preferring a worker already asleep over one still building a spare instance. */
  private freeSlot(): Slot | undefined {
    let free: Slot | undefined;
    for (const slot of this.slots) {
      if (!slot.ready || slot.running) continue;
      if (slot.channel.workerAsleep()) return slot;
      free ??= slot;
    }
    return free;
  }

  private begin(slot: Slot, pending: Pending): void {
    const { job } = pending;
    const running: Running = { ...pending, id: this.nextJobId++, startedAt: Date.now(), timers: [], onAbort: () => this.cancel(slot, running) };
    slot.running = running;
    Atomics.store(slot.cancel, 0, 0);
    job.signal.addEventListener('abort', running.onAbort, { once: true });
    running.timers.push(setTimeout(() => this.replace(slot, 'TIMEOUT', BACKSTOP_MESSAGE), job.limits.timeoutMs + BACKSTOP_GRACE_MS).unref());
    this.post(slot, running);
  }

  private post(slot: Slot, running: Running): void {
    const { job } = running;
    const send = !slot.modules.has(job.moduleKey);
    slot.modules.add(job.moduleKey);
    const req: RunRequest = {
      type: 'run', jobId: running.id, moduleKey: job.moduleKey, abi: job.abi, agentId: job.agentId, env: job.env,
      document: job.document, limits: job.limits, deadline: running.startedAt + job.limits.timeoutMs, ...(send ? { module: job.module } : {}),
    };
    if (slot.channel.sendRequest(req)) return;
    slot.worker.postMessage(req);
    slot.channel.ringForPort();
  }

  private cancel(slot: Slot, running: Running): void {
    if (slot.running !== running || running.ending) return;
    Atomics.store(slot.cancel, 0, 1);
    running.timers.push(setTimeout(() => this.replace(slot, 'CANCELLED', 'task cancelled; worker terminated'), BACKSTOP_GRACE_MS).unref());
  }

  private onReply(slot: Slot, m: WorkerReply): void {
    if (m.type === 'ready') {
      slot.ready = true;
      this.bootError = undefined;
      return this.dispatch();
    }
    const running = slot.running;
    if (!running || running.id !== m.jobId) return;
    if (m.type === 'log') running.job.onLog?.(m.line);
    else if (m.type === 'need-module') {
      slot.modules.delete(running.job.moduleKey);
      this.post(slot, running);
    } else this.finish(slot, m.result);
  }

  private finish(slot: Slot, result: ExecutionResult): void {
    const running = slot.running;
    if (!running) return;
    slot.running = undefined;
    running.timers.forEach(clearTimeout);
    running.job.signal.removeEventListener('abort', running.onAbort);
    // The deadline runs from dispatch, so wall time does too: a worker slow to wake is not hidden.
    const wallMs = Math.max(result.usage.wallMs, Date.now() - running.startedAt);
    running.resolve({ ...result, usage: { ...result.usage, wallMs } });
    this.dispatch();
  }

  /**
   * Terminates a stuck or dead worker and puts a fresh one in its slot; the task ends with `status` once
   * the old thread is gone, so the live worker count never runs ahead of the pool size for the caller.
   */
  private replace(slot: Slot, status: TerminalStatus, message: string): void {
    const old = slot.worker;
    const running = slot.running;
    this.logger?.warn({ runtime: 'wasm', status, agent_id: running?.job.agentId }, `wasm worker replaced: ${message}`);
    if (this.closed) return;
    this.replaced++;
    running?.timers.splice(0).forEach(clearTimeout);
    if (running) running.ending = true;
    this.attachWorker(slot);
    void old.terminate().finally(() => {
      if (running) this.finish(slot, stopped(status, message, running.startedAt));
    });
  }
}
