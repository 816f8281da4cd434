// Where task records live: the asynchronous store interface core knows, and a bounded in-memory implementation.
import type { ExecutionResult } from '../contract/outcome.js';
import type { FleetStore } from './fleet-store.js';
import { isTerminal, pageToken, parsePageToken, type NewTask, type TaskPage, type TaskQuery, type TaskRecord } from './task-record.js';

export interface InsertOutcome {
  /** false: a task with this id existed already; `record` is that one. */
  inserted: boolean;
  record: TaskRecord;
}

/**
 * The one holder of task state. Every method may be slow (a network store): callers await it.
 * A write that a store cannot make is either refused (insert: DomainError UNAVAILABLE, nothing accepted)
 * or kept and retried by the store (finish: the outcome of a task that ran is never dropped).
 */
export interface Journal {
  get(taskId: string): Promise<TaskRecord | undefined>;
  /** Records an accepted task unless its id exists (then returns that one): the id's uniqueness lives here. */
  insert(task: NewTask): Promise<InsertOutcome>;
  markRunning(taskId: string, startedAt: number): Promise<void>;
  /** Records the outcome unless one exists; returns the task's final record (the first outcome wins). */
  finish(taskId: string, result: ExecutionResult, finishedAt: number): Promise<TaskRecord | undefined>;
  /** Newest first, filtered by agent/status/creation time, in pages. */
  list(query: TaskQuery): Promise<TaskPage>;
  /** Tasks a previous incarnation of this daemon accepted but never finished, now recorded FAILED. */
  recoverInterrupted(now: number): Promise<TaskRecord[]>;
  close(): Promise<void>;
  /** Present when the store is shared by a fleet of daemons. */
  readonly fleet?: FleetStore;
}

/** The listing rule every store follows: newest first (createdAt, then taskId, descending), after the token. */
export function listRecords(all: Iterable<TaskRecord>, q: TaskQuery): TaskPage {
  const after = parsePageToken(q.pageToken);
  const picked = [...all]
    .filter((r) => (!q.agentId || r.agentId === q.agentId) && (!q.status || r.status === q.status) && (q.sinceMs === undefined || r.createdAt >= q.sinceMs))
    .filter((r) => !after || r.createdAt < after.createdAt || (r.createdAt === after.createdAt && r.taskId < after.taskId))
    .sort((a, b) => b.createdAt - a.createdAt || (a.taskId < b.taskId ? 1 : a.taskId > b.taskId ? -1 : 0));
  const records = picked.slice(0, q.limit).map((r) => ({ ...r }));
  return { records, next: picked.length > q.limit ? pageToken(records[records.length - 1]!) : '' };
}

/** Keeps every unfinished task and up to `maxFinished` finished ones (oldest evicted first). */
export class MemoryJournal implements Journal {
  private readonly records = new Map<string, TaskRecord>();
  private readonly finished: string[] = [];

  constructor(private readonly maxFinished = 10_000) {}

  async get(taskId: string): Promise<TaskRecord | undefined> {
    const r = this.records.get(taskId);
    return r && { ...r };
  }

  async insert(task: NewTask): Promise<InsertOutcome> {
    const existing = this.records.get(task.record.taskId);
    if (existing) return { inserted: false, record: { ...existing } };
    this.records.set(task.record.taskId, { ...task.record });
    return { inserted: true, record: { ...task.record } };
  }

  async markRunning(taskId: string, startedAt: number): Promise<void> {
    const r = this.records.get(taskId);
    if (r && !isTerminal(r.status)) Object.assign(r, { status: 'RUNNING', startedAt });
  }

  async finish(taskId: string, result: ExecutionResult, finishedAt: number): Promise<TaskRecord | undefined> {
    const r = this.records.get(taskId);
    if (!r) return undefined;
    if (isTerminal(r.status)) return { ...r };
    Object.assign(r, { status: result.status, result, finishedAt });
    const final = { ...r };
    this.finished.push(taskId);
    while (this.finished.length > this.maxFinished) this.records.delete(this.finished.shift()!);
    return final;
  }

  async list(query: TaskQuery): Promise<TaskPage> {
    return listRecords(this.records.values(), query);
  }

  async recoverInterrupted(): Promise<TaskRecord[]> {
    return [];
  }

  async close(): Promise<void> {}
}
