// The task lifecycle: admit → record QUEUED → schedule → RUNNING → one terminal outcome, all state in the journal.
import type { Logger } from 'pino';
import type { ExecutionResult } from '../contract/outcome.js';
import { emptyUsage } from '../contract/outcome.js';
import { storableOutcome } from '../contract/agent-output.js';
import type { AgentSpec, RuntimeName } from '../contract/agent.js';
import type { Runtime } from '../runtimes/runtime.js';
import { admit, type AdmissionPolicy, type AdmittedTask, type TaskSubmission } from './admission.js';
import { agentHash } from './agent-hash.js';
import type { AgentRegistry } from './agent-registry.js';
import { DomainError, notFound } from './domain-error.js';
import type { ClaimedTask, TaskNotice } from './fleet-store.js';
import type { Journal } from './journal.js';
import type { Scheduler } from './scheduler.js';
import type { TaskEgress } from './task-egress.js';
import { isTerminal, type TaskPage, type TaskQuery, type TaskRecord, type TaskUpdate } from './task-record.js';
import { UpdateBus, type UpdateListener } from './update-bus.js';

/** Metrics and tracing watch the lifecycle through this (src/observability/task-observer.ts). */
export interface TaskObserver {
  /** Recorded; `trace` carries the caller's W3C trace headers when it sent any. */
  received(r: TaskRecord, trace: { traceparent?: string; tracestate?: string }): void;
  /** Now RUNNING here; returns the traceparent the agent should continue, if tracing. */
  started(r: TaskRecord): string | undefined;
  finished(r: TaskRecord, seconds: number): void;
}

/** Agent log lines kept with the outcome (`ari task logs`, GetTaskLogs): enough to debug, bounded per task. */
export const KEPT_LOG_LINES = 200;
const KEPT_LOG_LINE_CHARS = 1024;

export interface TaskServiceDeps {
  registry: AgentRegistry;
  runtimeFor: (name: RuntimeName) => Runtime;
  /** Why an agent cannot run now (backend down, agent failed to load), or undefined when it can. */
  unavailableReason: (agent: AgentSpec) => string | undefined;
  scheduler: Scheduler;
  journal: Journal;
  policy: AdmissionPolicy;
  logger: Logger;
  /** Writes the two info lines of every task ("task started", "task finished"); default: `logger.info`. */
  infoLine?: (fields: Record<string, unknown>, msg: string) => void;
  observer?: TaskObserver;
  /** The daemon's egress proxy, for tasks with a network policy (src/core/task-egress.ts). */
  egress?: TaskEgress;
}

/** A task this daemon runs (or queues locally): the handles to abort it and to answer its waiters. */
interface LocalRun {
  controller: AbortController;
  done: Promise<TaskRecord>;
  resolve: (r: TaskRecord) => void;
  started: boolean;
  finishing: boolean;
}

interface Waiter { done: Promise<TaskRecord>; resolve: (r: TaskRecord) => void }

export class TaskService {
  readonly bus = new UpdateBus();
  private readonly local = new Map<string, LocalRun>();
  /** Tasks awaited here that this daemon does not run (another replica does, or another call is inserting them). */
  private readonly waiting = new Map<string, Waiter>();
  private accepting = true;
  /** Set by the fleet member: a slot was freed or a task queued fleet-wide, look for work. */
  onWork?: (runtime: RuntimeName) => void;

  private readonly infoLine: (fields: Record<string, unknown>, msg: string) => void;

  constructor(private readonly deps: TaskServiceDeps) {
    this.infoLine = deps.infoLine ?? ((fields, msg) => { if (deps.logger.isLevelEnabled('info')) deps.logger.info(fields, msg); });
  }

  private get fleet() {
    return this.deps.journal.fleet;
  }

  /** Accepts a task (or finds the same one by id) and returns its record plus a promise of the outcome. */
  async submit(sub: TaskSubmission): Promise<{ record: TaskRecord; done: Promise<TaskRecord> }> {
    if (!this.accepting) throw new DomainError('UNAVAILABLE', 'the daemon is shutting down');
    const task = admit(sub, this.deps.registry, this.deps.policy);
    const reason = this.deps.unavailableReason(task.agent);
    // A known id answers its task even when the agent is unavailable here or its queue is full. Otherwise the insert
    // finds a known id itself (no read before every write); a generated id is new by construction.
    if (sub.taskId !== '' && reason) {
      const existing = await this.deps.journal.get(task.taskId);
      if (existing) return this.same(existing, task);
    }
    if (reason) throw new DomainError('UNAVAILABLE', `agent ${JSON.stringify(task.agent.id)} (${task.agent.runtime}) is unavailable: ${reason}`);
    const { scheduler } = this.deps;
    const runtime = task.agent.runtime;
    const fleet = this.fleet;
    let claimed: boolean;
    try {
      // In a fleet the receiving daemon runs the task at once when it has a free slot; otherwise it waits for any claim loop.
      claimed = fleet ? scheduler.reserve(runtime, 1) === 1 : (scheduler.admit(runtime), false);
    } catch (e) {
      const existing = sub.taskId !== '' ? await this.deps.journal.get(task.taskId) : undefined;
      if (existing) return this.same(existing, task);
      throw e;
    }
    const now = Date.now();
    const record: TaskRecord = {
      taskId: task.taskId, agentId: task.agent.id, runtime, capability: task.capability,
      requestHash: task.requestHash, limits: task.limits, status: claimed ? 'RUNNING' : 'QUEUED', createdAt: now,
      ...(task.network ? { network: task.network } : {}), ...(claimed ? { startedAt: now } : {}),
    };
    let out;
    try {
      out = await this.deps.journal.insert({
        record, input: task.input, agentHash: agentHash(task.agent),
        ...(claimed ? { claimedBy: fleet!.daemonId } : {}), ...(fleet ? { queueMax: scheduler.queueLimit(runtime) } : {}),
      });
    } catch (e) {
      if (claimed) scheduler.release(runtime);
      throw e;
    }
    if (!out.inserted) {
      if (claimed) scheduler.release(runtime);
      return this.same(out.record, task);
    }
    this.deps.observer?.received(out.record, { traceparent: sub.traceparent, tracestate: sub.tracestate });
    if (fleet && !claimed) return { record: out.record, done: this.waitFor(task.taskId) };
    return { record: out.record, done: this.startLocal(task, out.record, claimed) };
  }

  /** Runs a task this daemon's claim loop took from the fleet queue (one reserved slot is consumed). */
  runClaimed(c: ClaimedTask): void {
    const agent = this.deps.registry.get(c.record.agentId);
    const task: AdmittedTask = { taskId: c.record.taskId, agent, capability: c.record.capability, input: c.input, limits: c.record.limits,
      ...(c.record.network ? { network: c.record.network } : {}), requestHash: c.record.requestHash };
    const done = this.startLocal(task, c.record, true);
    void done.then((r) => this.settle(r));
  }

  async get(taskId: string): Promise<TaskRecord> {
    const r = await this.deps.journal.get(taskId);
    if (!r) throw notFound(`unknown task ${JSON.stringify(taskId.length > 140 ? `${taskId.slice(0, 140)}…` : taskId)}`);
    return r;
  }

  list(query: TaskQuery): Promise<TaskPage> {
    return this.deps.journal.list(query);
  }

  /** Cancels a queued or running task wherever it runs; a finished task is returned unchanged. */
  async cancel(taskId: string): Promise<TaskRecord> {
    const r = await this.get(taskId);
    if (isTerminal(r.status)) return r;
    const l = this.local.get(taskId);
    this.deps.logger.info({ task_id: taskId, agent_id: r.agentId, status: r.status }, 'cancel requested');
    if (l) {
      l.controller.abort(new Error('cancelled by client'));
      if (!l.started && !l.finishing) await this.finish(r, cancelled('cancelled while queued', l.controller.signal), () => this.deps.logger);
      return l.done;
    }
    if (!this.fleet) return r;
    const done = this.waitFor(taskId);
    const now = await this.fleet.requestCancel(taskId, 'cancelled by client');
    if (now && isTerminal(now.status)) this.settle(now);
    return done;
  }

  /** Live updates; a finished task replays its outcome at once. */
  async subscribe(taskId: string, listener: UpdateListener): Promise<() => void> {
    const r = await this.get(taskId);
    if (isTerminal(r.status)) {
      listener(this.update(r, 'result', 'finished', r.finishedAt));
      return () => {};
    }
    const off = this.bus.subscribe(taskId, listener);
    listener(this.update(r, 'status', r.status.toLowerCase(), r.startedAt ?? r.createdAt));
    if (this.fleet && !this.local.has(taskId)) await this.refresh(taskId); // it may have finished elsewhere meanwhile
    return off;
  }

  /** A change written anywhere in the fleet: answer local waiters and watchers, or cancel a task running here. */
  async observe(n: TaskNotice): Promise<void> {
    const l = this.local.get(n.taskId);
    if (n.kind === 'cancel') {
      l?.controller.abort(new Error('cancelled by client'));
      return;
    }
    if (l) return; // this daemon publishes its own tasks' updates
    if (n.status === 'QUEUED') this.onWork?.(n.runtime);
    if (isTerminal(n.status)) await this.refresh(n.taskId);
    else if (this.bus.has(n.taskId)) {
      this.bus.publish({ taskId: n.taskId, status: n.status, kind: 'status', message: n.status.toLowerCase(), timestampMs: Date.now() });
    }
  }

  /** Re-reads a task awaited or watched here and answers everyone once it is terminal (the safety net of notices). */
  async refresh(taskId: string): Promise<void> {
    if (this.local.has(taskId) || (!this.waiting.has(taskId) && !this.bus.has(taskId))) return;
    const r = await this.deps.journal.get(taskId);
    if (r && isTerminal(r.status)) this.settle(r);
  }

  /** Tasks awaited or watched here but run elsewhere. */
  remoteWatched(): string[] {
    return [...new Set([...this.waiting.keys(), ...this.bus.ids()])].filter((id) => !this.local.has(id));
  }

  /** Tasks this daemon runs now (their leases must be renewed). */
  runningHere(): string[] {
    return [...this.local.entries()].filter(([, l]) => l.started && !l.finishing).map(([id]) => id);
  }

  abort(taskId: string, reason: string): void {
    this.local.get(taskId)?.controller.abort(new Error(reason));
  }

  inflightCount(): number {
    return this.local.size;
  }

  /** Stops accepting; waits up to graceMs for in-flight tasks, then cancels and records the rest. */
  async shutdown(graceMs: number): Promise<void> {
    this.accepting = false;
    const all = () => Promise.allSettled([...this.local.values()].map((f) => f.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((res) => { timer = setTimeout(() => res('late'), graceMs); });
    const outcome = await Promise.race([all().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.deps.logger.warn({ inflight: this.local.size }, 'shutdown grace over: cancelling in-flight tasks');
      for (const [id, l] of this.local) {
        l.controller.abort(new Error('daemon shutting down'));
        const r = l.started ? undefined : await this.deps.journal.get(id);
        if (r?.status === 'QUEUED' && !l.finishing) await this.finish(r, cancelled('daemon shutting down', l.controller.signal), () => this.deps.logger);
      }
      await all();
    }
  }

  private same(existing: TaskRecord, task: AdmittedTask): { record: TaskRecord; done: Promise<TaskRecord> } {
    if (existing.requestHash !== task.requestHash) {
      throw new DomainError('ALREADY_EXISTS', `task_id ${JSON.stringify(task.taskId)} was already used for a different request`);
    }
    const done = this.local.get(task.taskId)?.done ?? (isTerminal(existing.status) ? Promise.resolve(existing) : this.waitFor(task.taskId));
    return { record: existing, done };
  }

  private waitFor(taskId: string): Promise<TaskRecord> {
    let w = this.waiting.get(taskId);
    if (!w) {
      let resolve!: (r: TaskRecord) => void;
      const done = new Promise<TaskRecord>((res) => { resolve = res; });
      this.waiting.set(taskId, (w = { done, resolve }));
    }
    return w.done;
  }

  /** A terminal record learnt from the store: answers waiters and watchers of a task run elsewhere. */
  private settle(r: TaskRecord): void {
    const w = this.waiting.get(r.taskId);
    this.waiting.delete(r.taskId);
    w?.resolve(r);
    if (this.bus.has(r.taskId)) this.bus.publish(this.update(r, 'result', r.status.toLowerCase()));
  }

  private startLocal(task: AdmittedTask, record: TaskRecord, reserved: boolean): Promise<TaskRecord> {
    let resolve!: (r: TaskRecord) => void;
    const done = new Promise<TaskRecord>((res) => { resolve = res; });
    const l: LocalRun = { controller: new AbortController(), done, resolve, started: false, finishing: false };
    this.local.set(task.taskId, l);
    this.publish(record, 'status', record.status.toLowerCase());
    void this.deps.scheduler.run(task.agent.runtime, () => this.run(task, record, l), reserved);
    return done;
  }

  private async run(task: AdmittedTask, queued: TaskRecord, l: LocalRun): Promise<void> {
    if (l.finishing) return; // cancelled while queued
    // A child logger per task costs more than a trivial task itself: built only when a line will be written.
    let child: Logger | undefined;
    const log = () => (child ??= this.deps.logger.child({ task_id: task.taskId, agent_id: task.agent.id, runtime: task.agent.runtime }));
    const signal = l.controller.signal;
    if (signal.aborted) {
      await this.finish(queued, cancelled('cancelled before it started', signal), log);
      return;
    }
    l.started = true;
    let record = queued;
    if (queued.status === 'QUEUED') {
      record = { ...queued, status: 'RUNNING', startedAt: Date.now() };
      await this.deps.journal.markRunning(task.taskId, record.startedAt!);
      this.publish(record, 'status', 'running');
    }
    const startedAt = Date.now();
    // The task's own fields, not a child logger: one object per line instead of a logger per task.
    this.infoLine({ task_id: task.taskId, agent_id: task.agent.id, runtime: task.agent.runtime, capability: task.capability, limits: task.limits }, 'task started');
    let result: ExecutionResult;
    const traceparent = this.deps.observer?.started(record);
    const logs: string[] = [];
    const onLog = (line: string) => {
      if (logs.length < KEPT_LOG_LINES) logs.push(line.length > KEPT_LOG_LINE_CHARS ? `${line.slice(0, KEPT_LOG_LINE_CHARS)}…` : line);
      this.publish(record, 'log', line);
    };
    // Only a task with a network policy gets a grant (nothing is built on the hot path of the others).
    const egress = task.network && this.deps.egress?.begin({ taskId: task.taskId, agentId: task.agent.id, network: task.network, limits: task.limits },
      { abort: (reason) => l.controller.abort(reason), denied: (message) => this.publish(record, 'egress', message) });
    try {
      result = await this.deps.runtimeFor(task.agent.runtime).execute(
        task.agent,
        { taskId: task.taskId, agentId: task.agent.id, capability: task.capability, input: task.input, limits: task.limits, traceparent },
        signal,
        egress ? { onLog, egress: egress.grant } : { onLog },
      );
    } catch (e) {
      log().error({ err: e }, 'runtime failed to execute the task');
      result = { status: 'FAILED', error: { code: 'SANDBOX_ERROR', message: `sandbox error: ${(e as Error).message}` }, usage: { ...emptyUsage(), wallMs: Date.now() - startedAt }, metrics: {} };
    }
    if (egress) result = await egress.end(result);
    if (logs.length) result = { ...result, logs };
    await this.finish(record, result, log);
  }

  /**
   * The store refusing what an agent returned (a value its encoding cannot hold) must not lose the outcome: it is
   * stored as FAILED BAD_OUTPUT instead. If that is refused too, the store itself is failing: the first error stands.
   */
  private async storeOutcome(taskId: string, result: ExecutionResult, now: number, log: () => Logger): Promise<TaskRecord | undefined> {
    try {
      return await this.deps.journal.finish(taskId, result, now);
    } catch (e) {
      const stored: ExecutionResult = { status: 'FAILED', usage: result.usage, metrics: {},
        error: { code: 'BAD_OUTPUT', message: `agent result cannot be stored: ${(e as Error).message}`.slice(0, 4096) } };
      try {
        const r = await this.deps.journal.finish(taskId, stored, now);
        log().warn({ err: e }, 'outcome refused by the journal: recorded as FAILED BAD_OUTPUT');
        return r;
      } catch {
        throw e;
      }
    }
  }

  private async finish(record: TaskRecord, outcome: ExecutionResult, log: () => Logger): Promise<TaskRecord> {
    // Whatever a backend returned, what is stored, streamed and answered must serialise (else FAILED BAD_OUTPUT).
    const result = storableOutcome(outcome);
    const now = Date.now();
    const l = this.local.get(record.taskId);
    if (l) l.finishing = true;
    // The first outcome recorded wins (e.g. a lost lease already recorded DAEMON_LOST): answer what the store holds.
    const final = (await this.storeOutcome(record.taskId, result, now, log)) ?? { ...record, status: result.status, result, finishedAt: now };
    this.local.delete(record.taskId);
    const seconds = (now - (record.startedAt ?? record.createdAt)) / 1000;
    this.deps.observer?.finished(final, seconds);
    this.infoLine({ task_id: record.taskId, agent_id: record.agentId, runtime: record.runtime, status: result.status, error: result.error, usage: result.usage }, 'task finished');
    this.publish(final, 'result', final.status.toLowerCase());
    l?.resolve(final);
    const w = this.waiting.get(record.taskId);
    this.waiting.delete(record.taskId);
    w?.resolve(final);
    if (this.fleet) this.onWork?.(record.runtime);
    return final;
  }

  /** `at` is when the event happened: a replay keeps the original time, not the time of the replay. */
  private update(r: TaskRecord, kind: TaskUpdate['kind'], message: string, at = Date.now()): TaskUpdate {
    return { taskId: r.taskId, status: r.status, kind, message, timestampMs: at, record: kind === 'result' ? r : undefined };
  }

  private publish(r: TaskRecord, kind: TaskUpdate['kind'], message: string): void {
    // Most tasks have no watcher: build no update for nobody.
    if (this.bus.has(r.taskId)) this.bus.publish(this.update(r, kind, message));
  }
}

function cancelled(message: string, signal: AbortSignal): ExecutionResult {
  const why = signal.reason instanceof Error ? signal.reason.message : message;
  return { status: 'CANCELLED', error: { code: 'CANCELLED', message: why }, usage: emptyUsage(), metrics: {} };
}
