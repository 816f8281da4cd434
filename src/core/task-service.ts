// The task lifecycle: admit → record QUEUED → schedule → RUNNING → one terminal outcome, published and kept.
import type { Logger } from 'pino';
import type { ExecutionResult } from '../contract/outcome.js';
import { emptyUsage } from '../contract/outcome.js';
import type { AgentSpec, RuntimeName } from '../contract/agent.js';
import type { Runtime } from '../runtimes/runtime.js';
import { admit, type AdmissionPolicy, type AdmittedTask, type TaskSubmission } from './admission.js';
import type { AgentRegistry } from './agent-registry.js';
import { DomainError, notFound } from './domain-error.js';
import type { Journal } from './journal.js';
import type { Scheduler } from './scheduler.js';
import { isTerminal, type TaskRecord, type TaskUpdate } from './task-record.js';
import { UpdateBus, type UpdateListener } from './update-bus.js';

export interface TaskObserver {
  received(agent: string, runtime: string): void;
  finished(agent: string, runtime: string, status: string, errorCode: string, seconds: number): void;
}

export interface TaskServiceDeps {
  registry: AgentRegistry;
  runtimeFor: (name: RuntimeName) => Runtime;
  /** Why an agent cannot run now (backend down, agent failed to load), or undefined when it can. */
  unavailableReason: (agent: AgentSpec) => string | undefined;
  scheduler: Scheduler;
  journal: Journal;
  policy: AdmissionPolicy;
  logger: Logger;
  observer?: TaskObserver;
}

interface InFlight {
  controller: AbortController;
  done: Promise<TaskRecord>;
  resolve: (r: TaskRecord) => void;
}

export class TaskService {
  readonly bus = new UpdateBus();
  private readonly inflight = new Map<string, InFlight>();
  private accepting = true;

  constructor(private readonly deps: TaskServiceDeps) {}

  /** Accepts a task (or finds the same one by id) and returns its record plus a promise of the outcome. */
  submit(sub: TaskSubmission): { record: TaskRecord; done: Promise<TaskRecord> } {
    if (!this.accepting) throw new DomainError('UNAVAILABLE', 'the daemon is shutting down');
    const task = admit(sub, this.deps.registry, this.deps.policy);
    const existing = this.deps.journal.get(task.taskId);
    if (existing) {
      if (existing.requestHash !== task.requestHash) {
        throw new DomainError('ALREADY_EXISTS', `task_id ${JSON.stringify(task.taskId)} was already used for a different request`);
      }
      return { record: existing, done: this.inflight.get(task.taskId)?.done ?? Promise.resolve(existing) };
    }
    const reason = this.deps.unavailableReason(task.agent);
    if (reason) throw new DomainError('UNAVAILABLE', `agent ${JSON.stringify(task.agent.id)} (${task.agent.runtime}) is unavailable: ${reason}`);
    this.deps.scheduler.admit(task.agent.runtime);
    const record: TaskRecord = {
      taskId: task.taskId,
      agentId: task.agent.id,
      runtime: task.agent.runtime,
      capability: task.capability,
      requestHash: task.requestHash,
      limits: task.limits,
      status: 'QUEUED',
      createdAt: Date.now(),
    };
    this.deps.journal.insert(record);
    this.deps.observer?.received(record.agentId, record.runtime);
    const controller = new AbortController();
    let resolve!: (r: TaskRecord) => void;
    const done = new Promise<TaskRecord>((res) => { resolve = res; });
    this.inflight.set(task.taskId, { controller, done, resolve });
    this.publish(record, 'status', 'queued');
    const snapshot = { ...record };
    void this.deps.scheduler.run(task.agent.runtime, () => this.run(task, controller.signal));
    return { record: snapshot, done };
  }

  get(taskId: string): TaskRecord {
    const r = this.deps.journal.get(taskId);
    if (!r) throw notFound(`unknown task ${JSON.stringify(taskId.length > 140 ? `${taskId.slice(0, 140)}…` : taskId)}`);
    return r;
  }

  /** Cancels a queued or running task; a finished task is returned unchanged. */
  async cancel(taskId: string): Promise<TaskRecord> {
    const r = this.get(taskId);
    const f = this.inflight.get(taskId);
    if (!f || isTerminal(r.status)) return r;
    f.controller.abort(new Error('cancelled by client'));
    if (r.status === 'QUEUED') this.finish(r, cancelled('cancelled while queued', f.controller.signal), () => this.deps.logger);
    return f.done;
  }

  /** Live updates; a finished task replays its outcome at once. */
  subscribe(taskId: string, listener: UpdateListener): () => void {
    const r = this.get(taskId);
    if (isTerminal(r.status)) {
      listener(this.update(r, 'result', 'finished'));
      return () => {};
    }
    const off = this.bus.subscribe(taskId, listener);
    listener(this.update(r, 'status', r.status.toLowerCase()));
    return off;
  }

  inflightCount(): number {
    return this.inflight.size;
  }

  /** Stops accepting; waits up to graceMs for in-flight tasks, then cancels and records the rest. */
  async shutdown(graceMs: number): Promise<void> {
    this.accepting = false;
    const all = () => Promise.allSettled([...this.inflight.values()].map((f) => f.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((res) => { timer = setTimeout(() => res('late'), graceMs); });
    const outcome = await Promise.race([all().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.deps.logger.warn({ inflight: this.inflight.size }, 'shutdown grace over: cancelling in-flight tasks');
      for (const [id, f] of this.inflight) {
        f.controller.abort(new Error('daemon shutting down'));
        const r = this.deps.journal.get(id);
        if (r?.status === 'QUEUED') this.finish(r, cancelled('daemon shutting down', f.controller.signal), () => this.deps.logger);
      }
      await all();
    }
  }

  private async run(task: AdmittedTask, signal: AbortSignal): Promise<TaskRecord> {
    // A child logger per task costs more than a trivial task itself: built only when a line will be written.
    let child: Logger | undefined;
    const log = () => (child ??= this.deps.logger.child({ task_id: task.taskId, agent_id: task.agent.id, runtime: task.agent.runtime }));
    const record = this.deps.journal.get(task.taskId)!;
    if (isTerminal(record.status)) return record;
    if (signal.aborted) return this.finish(record, cancelled('cancelled before it started', signal), log);
    const startedAt = Date.now();
    this.deps.journal.markRunning(task.taskId, startedAt);
    record.status = 'RUNNING';
    this.publish(record, 'status', 'running');
    if (this.deps.logger.isLevelEnabled('info')) log().info({ capability: task.capability, limits: task.limits }, 'task started');
    let result: ExecutionResult;
    try {
      result = await this.deps.runtimeFor(task.agent.runtime).execute(
        task.agent,
        { taskId: task.taskId, agentId: task.agent.id, capability: task.capability, input: task.input, limits: task.limits },
        signal,
        { onLog: (line) => this.publish(record, 'log', line) },
      );
    } catch (e) {
      log().error({ err: e }, 'runtime failed to execute the task');
      result = { status: 'FAILED', error: { code: 'SANDBOX_ERROR', message: `sandbox error: ${(e as Error).message}` }, usage: { ...emptyUsage(), wallMs: Date.now() - startedAt }, metrics: {} };
    }
    return this.finish(record, result, log);
  }

  private finish(record: TaskRecord, result: ExecutionResult, log: () => Logger): TaskRecord {
    const now = Date.now();
    const f = this.inflight.get(record.taskId);
    this.inflight.delete(record.taskId);
    this.deps.journal.finish(record.taskId, result, now);
    Object.assign(record, { status: result.status, result, finishedAt: now });
    const seconds = (now - (record.startedAt ?? record.createdAt)) / 1000;
    this.deps.observer?.finished(record.agentId, record.runtime, result.status, result.error?.code ?? '', seconds);
    if (this.deps.logger.isLevelEnabled('info')) log().info({ status: result.status, error: result.error, usage: result.usage }, 'task finished');
    this.publish(record, 'result', result.status.toLowerCase());
    f?.resolve(record);
    return record;
  }

  private update(r: TaskRecord, kind: TaskUpdate['kind'], message: string): TaskUpdate {
    return { taskId: r.taskId, status: r.status, kind, message, timestampMs: Date.now(), record: kind === 'result' ? r : undefined };
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

