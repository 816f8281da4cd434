// Where task records live: the interface, and a bounded in-memory implementation.
import type { ExecutionResult, TaskStatus } from '../contract/outcome.js';
import { isTerminal, type TaskRecord } from './task-record.js';

export interface Journal {
  get(taskId: string): TaskRecord | undefined;
  /** Records an accepted task (status QUEUED). */
  insert(record: TaskRecord): void;
  markRunning(taskId: string, startedAt: number): void;
  finish(taskId: string, result: ExecutionResult, finishedAt: number): void;
  /** Tasks a previous daemon accepted but never finished; they are recorded as FAILED DAEMON_RESTARTED. */
  recoverInterrupted(now: number): TaskRecord[];
  close(): void;
}

/** Keeps every unfinished task and up to `maxFinished` finished ones (oldest evicted first). */
export class MemoryJournal implements Journal {
  private readonly records = new Map<string, TaskRecord>();
  private readonly finished: string[] = [];

  constructor(private readonly maxFinished = 10_000) {}

  get(taskId: string): TaskRecord | undefined {
    return this.records.get(taskId);
  }

  insert(record: TaskRecord): void {
    this.records.set(record.taskId, record);
  }

  markRunning(taskId: string, startedAt: number): void {
    this.patch(taskId, 'RUNNING', (r) => { r.startedAt = startedAt; });
  }

  finish(taskId: string, result: ExecutionResult, finishedAt: number): void {
    this.patch(taskId, result.status, (r) => { r.result = result; r.finishedAt = finishedAt; });
    this.finished.push(taskId);
    while (this.finished.length > this.maxFinished) this.records.delete(this.finished.shift()!);
  }

  recoverInterrupted(): TaskRecord[] {
    return [];
  }

  close(): void {}

  private patch(taskId: string, status: TaskStatus, f: (r: TaskRecord) => void): void {
    const r = this.records.get(taskId);
    if (!r || isTerminal(r.status)) return;
    r.status = status;
    f(r);
  }
}
