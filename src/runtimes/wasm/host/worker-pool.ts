// A fixed pool of warm worker threads running wasm tasks. A worker that keeps running without answering for
// STUCK_BOUND_MS past its task's deadline, cancel or CPU budget is abandoned: the task is answered at once, the slot
// gets a fresh worker, and the old thread is terminated in the background, so no other task ever waits on it.
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { classify, type Observation } from '../../../contract/classify.js';
import { NO_LIMITS, type Limits } from '../../../contract/limits.js';
import { emptyUsage, type ExecutionResult } from '../../../contract/outcome.js';
import { createChannelBuffer } from '../shared/channel-layout.js';
import { controlViews, createControlBuffer } from '../shared/control-block.js';
import type { EgressTarget, WasmAbi, WasmArtifact, WorkerReply, WorkerRequest } from '../shared/worker-protocol.js';
import { ChannelHost } from './channel-host.js';
import { watchCpu, watchStuck, type Watched } from './stuck-watch.js';
import { ThreadClock } from './thread-clock.js';
import { startWorker } from './worker-entry.js';

/** How long close() waits for abandoned threads to exit before it returns (they are unref'd either way). */
const CLOSE_WAIT_MS = 1000;
/** A warm-up (loading a component's glue) that takes longer than this is abandoned. */
const WARM_UP_TIMEOUT_MS = 60_000;
/** Pause before respawning a worker that died while starting (so a broken install cannot spin). */
const BOOT_RETRY_MS = 1000;

interface ModuleJob {
  moduleKey: string;
  module: WasmArtifact;
  abi: WasmAbi;
  /** Bytes an instance holds outside linear memory (see RunRequest.footprintBytes). */
  footprintBytes: number;
  /** The pooled memory's shape when the module imports its memory (see RunRequest.memory). */
  memory?: { initial: number; maximum: number };
}

export interface PoolJob extends ModuleJob {
  agentId: string;
  env: Record<string, string>;
  document: string;
  limits: Limits;
  signal: AbortSignal;
  onLog?: (line: string) => void;
  /** The task's egress endpoint (components with a network policy), passed through to the worker. */
  egress?: EgressTarget;
}

export type WarmUpJob = ModuleJob;

interface Pending { job: PoolJob; resolve: (r: ExecutionResult) => void; onQueuedAbort: () => void }
interface Running {
  id: number;
  startedAt: number;
  timers: NodeJS.Timeout[];
  task?: Pending & { onAbort: () => void };
  warmUp?: WarmUpJob;
}
interface Slot {
  worker: Worker; cancel: Int32Array; fuel: BigInt64Array; channel: ChannelHost; modules: Set<string>; ready: boolean;
  clock: ThreadClock; running?: Running; warmUps: WarmUpJob[];
}

function ended(obs: Observation, limits: Limits | undefined, startedAt: number, fuelConsumed = 0): ExecutionResult {
  const usage = { ...emptyUsage(), wallMs: Date.now() - startedAt, fuelConsumed };
  const l = limits ?? NO_LIMITS;
  return classify(obs, usage, l);
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly live = new Set<Worker>();
  private readonly exiting = new Set<Promise<unknown>>();
  private nextJobId = 1;
  private closed = false;
  private replaced = 0;
  /** Why the last worker died before it was ready; cleared when one becomes ready. */
  bootError: string | undefined;

  constructor(private readonly size: number, private readonly logger?: Logger) {}

  /** Starts the workers (idempotent). */
  start(): void {
    while (!this.closed && this.slots.length < this.size) {
      const slot = { warmUps: [] as WarmUpJob[] } as unknown as Slot;
      this.attachWorker(slot);
      this.slots.push(slot);
    }
  }

  /** Live worker threads, abandoned ones still exiting included. */
  workerCount(): number {
    return this.live.size;
  }

  /** Workers abandoned and replaced so far (a deadline met by the fuel slices replaces none). */
  replacedCount(): number {
    return this.replaced;
  }

  run(job: PoolJob): Promise<ExecutionResult> {
    const now = Date.now();
    if (this.closed) return Promise.resolve(ended({ killedFor: 'CANCELLED' }, job.limits, now));
    if (job.signal.aborted) return Promise.resolve(ended({ killedFor: 'CANCELLED' }, job.limits, now));
    if (this.bootError) return Promise.resolve(ended({ sandboxError: `wasm workers cannot start: ${this.bootError}` }, job.limits, now));
    this.start();
    return new Promise((resolve) => {
      const pending: Pending = {
        job, resolve,
        onQueuedAbort: () => {
          const i = this.queue.indexOf(pending);
          if (i >= 0) { this.queue.splice(i, 1); resolve(ended({ killedFor: 'CANCELLED' }, job.limits, now)); }
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

  /** Has every worker load `job`'s one-time parts and build a spare, before its next task. */
  warmUp(job: WarmUpJob): void {
    if (this.closed) return;
    this.start();
    for (const slot of this.slots) slot.warmUps.push(job);
    this.dispatch();
  }

  /** No warm-up pending or in progress on any worker (a caller measuring steady-state memory waits for it). */
  warmedUp(): boolean {
    return this.slots.every((s) => s.warmUps.length === 0 && !s.running?.warmUp);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve(ended({ killedFor: 'CANCELLED' }, p.job.limits, Date.now()));
    for (const slot of this.slots) {
      if (slot.running) this.finish(slot, slot.running, ended({ killedFor: 'CANCELLED' }, slot.running.task?.job.limits, slot.running.startedAt));
      slot.channel.release();
      slot.clock.close();
    }
    this.slots.length = 0;
    for (const w of this.live) this.terminate(w);
    const wait = new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref());
    await Promise.race([Promise.all(this.exiting), wait]);
  }

  /** Gives `slot` a fresh worker; events of a worker the slot no longer holds are ignored. */
  private attachWorker(slot: Slot): void {
    slot.channel?.release();
    slot.clock?.close();
    const control = createControlBuffer();
    const buffer = createChannelBuffer();
    const worker = startWorker({ control, channel: buffer });
    const channel = new ChannelHost(buffer);
    Object.assign(slot, { worker, ...controlViews(control), channel, modules: new Set(), ready: false, clock: new ThreadClock(undefined) });
    this.live.add(worker);
    worker.unref();
    channel.watchResults((jobId, result, logs) => {
      if (slot.worker !== worker) return;
      for (const line of logs) this.onReply(slot, { type: 'log', jobId, line });
      this.onReply(slot, { type: 'result', jobId, result });
    });
    worker.on('message', (m: WorkerReply) => { if (slot.worker === worker) this.onReply(slot, m); });
    // An uncaught error is followed by an exit (code 1): the error names the cause, so the exit must not replace it.
    let failed = false;
    worker.on('error', (e: Error & { code?: string }) => {
      failed = true;
      if (!slot.ready) this.logger?.error({ runtime: 'wasm', err: e }, 'wasm worker thread threw while starting');
      if (slot.worker === worker) this.onDeath(slot, e.message, e.code === 'ERR_WORKER_OUT_OF_MEMORY');
    });
    worker.on('exit', (code) => {
      this.live.delete(worker);
      if (slot.worker === worker && !failed) this.onDeath(slot, `exited with code ${code}`, false);
    });
  }

  private onDeath(slot: Slot, why: string, outOfMemory: boolean): void {
    if (this.closed) return;
    if (slot.ready) return this.abandon(slot, { fault: { code: 'CRASHED', message: `wasm worker died: ${why}` }, memoryRefused: outOfMemory });
    this.bootError = why;
    this.logger?.error({ runtime: 'wasm', err: why }, 'wasm worker failed to start');
    for (const p of this.queue.splice(0)) p.resolve(ended({ sandboxError: `wasm workers cannot start: ${why}` }, p.job.limits, Date.now()));
    const dead = slot.worker;
    setTimeout(() => { if (slot.worker === dead && !this.closed) this.attachWorker(slot); }, BOOT_RETRY_MS).unref();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.ready && !slot.running && slot.warmUps.length) this.beginWarmUp(slot, slot.warmUps.shift()!);
    }
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
      if (!slot.ready || slot.running || slot.warmUps.length) continue;
      if (slot.channel.workerAsleep()) return slot;
      free ??= slot;
    }
    return free;
  }

  private begin(slot: Slot, pending: Pending): void {
    const { job } = pending;
    const running: Running = { id: this.nextJobId++, startedAt: Date.now(), timers: [] };
    running.task = { ...pending, onAbort: () => this.cancel(slot, running) };
    slot.running = running;
    Atomics.store(slot.cancel, 0, 0);
    Atomics.store(slot.fuel, 0, 0n);
    job.signal.addEventListener('abort', running.task.onAbort, { once: true });
    const watched = this.watched(slot, running);
    watchStuck(watched, running.startedAt + job.limits.timeoutMs, { killedFor: 'TIMEOUT' });
    if (job.limits.cpuMillis < job.limits.timeoutMs) watchCpu(watched, job.limits.cpuMillis);
    this.post(slot, running);
  }

  private beginWarmUp(slot: Slot, job: WarmUpJob): void {
    const running: Running = { id: this.nextJobId++, startedAt: Date.now(), timers: [], warmUp: job };
    slot.running = running;
    const watched = this.watched(slot, running);
    running.timers.push(setTimeout(() => watched.abandon({ killedFor: 'TIMEOUT' }), WARM_UP_TIMEOUT_MS).unref());
    this.post(slot, running);
  }

  private watched(slot: Slot, running: Running): Watched {
    return {
      timers: running.timers,
      current: () => slot.running === running,
      cpuMs: () => slot.clock.cpuMs(),
      takeResult: () => slot.channel.takeResult(),
      abandon: (obs) => { if (slot.running === running) this.abandon(slot, obs); },
    };
  }

  private post(slot: Slot, running: Running): void {
    const job = running.task?.job ?? running.warmUp!;
    const send = !slot.modules.has(job.moduleKey);
    slot.modules.add(job.moduleKey);
    const common = { jobId: running.id, moduleKey: job.moduleKey, abi: job.abi, footprintBytes: job.footprintBytes, ...(job.memory ? { memory: job.memory } : {}), ...(send ? { module: job.module } : {}) };
    const req: WorkerRequest = running.task
      ? { ...common, type: 'run', agentId: running.task.job.agentId, env: running.task.job.env, document: running.task.job.document, limits: running.task.job.limits, deadline: running.startedAt + running.task.job.limits.timeoutMs, egress: running.task.job.egress }
      : { ...common, type: 'warm-up' };
    if (req.type === 'run' && slot.channel.sendRequest(req)) return;
    slot.worker.postMessage(req);
    slot.channel.ringForPort();
  }

  private cancel(slot: Slot, running: Running): void {
    if (slot.running !== running) return;
    Atomics.store(slot.cancel, 0, 1);
    watchStuck(this.watched(slot, running), Date.now(), { killedFor: 'CANCELLED' });
  }

  private onReply(slot: Slot, m: WorkerReply): void {
    if (m.type === 'ready') {
      slot.ready = true;
      slot.clock.close();
      slot.clock = new ThreadClock(m.tid);
      this.bootError = undefined;
      return this.dispatch();
    }
    const running = slot.running;
    if (!running || running.id !== m.jobId) return;
    if (m.type === 'log') running.task?.job.onLog?.(m.line);
    else if (m.type === 'need-module') {
      slot.modules.delete((running.task?.job ?? running.warmUp!).moduleKey);
      this.post(slot, running);
    } else this.finish(slot, running, m.result);
  }

  private finish(slot: Slot, running: Running, result: ExecutionResult): void {
    if (slot.running === running) slot.running = undefined;
    running.timers.forEach(clearTimeout);
    const task = running.task;
    if (task) {
      task.job.signal.removeEventListener('abort', task.onAbort);
      // The deadline runs from dispatch, so wall time does too: a worker slow to wake is not hidden.
      const wallMs = Math.max(result.usage.wallMs, Date.now() - running.startedAt);
      task.resolve({ ...result, usage: { ...result.usage, wallMs } });
    }
    this.dispatch();
  }

  /** Answers the slot's task with what was observed now, gives the slot a fresh worker, and ends the old one. */
  private abandon(slot: Slot, obs: Observation): void {
    if (this.closed) return;
    const old = slot.worker;
    const running = slot.running;
    const why = obs.killedFor ?? obs.fault?.message ?? 'stuck';
    this.logger?.warn({ runtime: 'wasm', reason: why, agent_id: running?.task?.job.agentId }, 'wasm worker abandoned and replaced');
    this.replaced++;
    Atomics.store(slot.cancel, 0, 1);
    const fuelConsumed = Number(Atomics.load(slot.fuel, 0));
    slot.running = undefined;
    this.attachWorker(slot);
    this.terminate(old);
    if (running) this.finish(slot, running, ended(obs, running.task?.job.limits, running.startedAt, fuelConsumed));
  }

  private terminate(worker: Worker): void {
    const exit = worker.terminate().catch(() => undefined);
    this.exiting.add(exit);
    void exit.finally(() => this.exiting.delete(exit));
  }
}

