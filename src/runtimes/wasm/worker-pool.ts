// A fixed pool of warm worker threads running wasm tasks; a worker that overruns its deadline is replaced.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { emptyUsage, type ExecutionResult, type TerminalStatus } from '../../sandbox/limits.js';
import type { RunRequest, WasmAbi, WorkerInit, WorkerReply } from './worker-protocol.js';

/** How long past the deadline (or a cancel) a worker may stay silent before it is terminated. */
export const BACKSTOP_GRACE_MS = 250;

export interface PoolJob {
  moduleKey: string;
  module: WebAssembly.Module;
  abi: WasmAbi;
  agentId: string;
  env: Record<string, string>;
  document: string;
  limits: RunRequest['limits'];
  signal: AbortSignal;
  onLog?: (line: string) => void;
}

interface Pending { job: PoolJob; resolve: (r: ExecutionResult) => void }
interface Running extends Pending { id: number; startedAt: number; timers: NodeJS.Timeout[]; onAbort: () => void }
interface Slot { worker: Worker; cancel: Int32Array; modules: Set<string>; running?: Running }

/** Under vitest/tsx the sources are .ts: start the worker through tsx; compiled dist runs the .js directly. */
function workerEntry(): { url: URL; execArgv?: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  return { url: new URL(ts ? './worker-main.ts' : './worker-main.js', import.meta.url), execArgv: ts ? ['--import', 'tsx'] : undefined };
}

function stopped(status: TerminalStatus, message: string, startedAt: number): ExecutionResult {
  const usage = { ...emptyUsage(), wallMs: Date.now() - startedAt };
  return { status, error: { code: status === 'FAILED' ? 'CRASHED' : status, message } as ExecutionResult['error'], usage, metrics: {} };
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly live = new Set<Worker>();
  private nextJobId = 1;
  private closed = false;

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

  run(job: PoolJob): Promise<ExecutionResult> {
    if (this.closed) return Promise.resolve(stopped('CANCELLED', 'wasm runtime is closed', Date.now()));
    if (job.signal.aborted) return Promise.resolve(stopped('CANCELLED', 'task cancelled before it started', Date.now()));
    this.start();
    return new Promise((resolve) => {
      const pending: Pending = { job, resolve };
      this.queue.push(pending);
      job.signal.addEventListener('abort', () => {
        const i = this.queue.indexOf(pending);
        if (i >= 0) { this.queue.splice(i, 1); resolve(stopped('CANCELLED', 'task cancelled before it started', Date.now())); }
      }, { once: true });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve(stopped('CANCELLED', 'wasm runtime closed', Date.now()));
    for (const slot of this.slots) if (slot.running) this.finish(slot, stopped('CANCELLED', 'wasm runtime closed', slot.running.startedAt));
    const workers = [...this.live];
    this.slots.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /** Gives `slot` a fresh worker; events of a worker the slot no longer holds are ignored. */
  private attachWorker(slot: Slot): void {
    const cancel = new SharedArrayBuffer(4);
    const { url, execArgv } = workerEntry();
    const worker = new Worker(url, { workerData: { cancel } satisfies WorkerInit, execArgv });
    slot.worker = worker;
    slot.cancel = new Int32Array(cancel);
    slot.modules = new Set();
    this.live.add(worker);
    worker.unref();
    worker.on('message', (m: WorkerReply) => { if (slot.worker === worker) this.onReply(slot, m); });
    worker.on('error', (e) => { if (slot.worker === worker) this.replace(slot, 'FAILED', `wasm worker died: ${e.message}`); });
    worker.on('exit', (code) => {
      this.live.delete(worker);
      if (slot.worker === worker && !this.closed) this.replace(slot, 'FAILED', `wasm worker exited with code ${code}`);
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.running || this.queue.length === 0) continue;
      const pending = this.queue.shift()!;
      const { job } = pending;
      const startedAt = Date.now();
      const running: Running = { ...pending, id: this.nextJobId++, startedAt, timers: [], onAbort: () => this.cancel(slot, running) };
      slot.running = running;
      Atomics.store(slot.cancel, 0, 0);
      job.signal.addEventListener('abort', running.onAbort, { once: true });
      running.timers.push(setTimeout(() => this.replace(slot, 'TIMEOUT', `deadline exceeded; worker terminated after ${BACKSTOP_GRACE_MS} ms grace`),
        job.limits.timeoutMs + BACKSTOP_GRACE_MS).unref());
      this.post(slot, running, startedAt + job.limits.timeoutMs);
    }
  }

  private post(slot: Slot, running: Running, deadline: number): void {
    const { job } = running;
    const send = !slot.modules.has(job.moduleKey);
    slot.modules.add(job.moduleKey);
    const req: RunRequest = {
      type: 'run', jobId: running.id, moduleKey: job.moduleKey, abi: job.abi, agentId: job.agentId,
      env: job.env, document: job.document, limits: job.limits, deadline, ...(send ? { module: job.module } : {}),
    };
    slot.worker.postMessage(req);
  }

  private cancel(slot: Slot, running: Running): void {
    if (slot.running !== running) return;
    Atomics.store(slot.cancel, 0, 1);
    running.timers.push(setTimeout(() => this.replace(slot, 'CANCELLED', 'task cancelled; worker terminated'), BACKSTOP_GRACE_MS).unref());
  }

  private onReply(slot: Slot, m: WorkerReply): void {
    const running = slot.running;
    if (!running || running.id !== m.jobId) return;
    if (m.type === 'log') running.job.onLog?.(m.line);
    else if (m.type === 'need-module') {
      slot.modules.delete(running.job.moduleKey);
      this.post(slot, running, running.startedAt + running.job.limits.timeoutMs);
    } else this.finish(slot, m.result);
  }

  private finish(slot: Slot, result: ExecutionResult): void {
    const running = slot.running;
    if (!running) return;
    slot.running = undefined;
    running.timers.forEach(clearTimeout);
    running.job.signal.removeEventListener('abort', running.onAbort);
    running.resolve(result);
    this.dispatch();
  }

  /** Terminates a stuck or dead worker, ends its task with `status`, and puts a fresh worker in its place. */
  private replace(slot: Slot, status: TerminalStatus, message: string): void {
    const old = slot.worker;
    const running = slot.running;
    this.logger?.warn({ status, agent_id: running?.job.agentId }, `wasm worker replaced: ${message}`);
    if (this.closed) return;
    this.attachWorker(slot);
    void old.terminate();
    if (running) this.finish(slot, stopped(status, message, running.startedAt));
    else this.dispatch();
  }
}
