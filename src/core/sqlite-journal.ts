// The durable Journal of one daemon: one SQLite database (WAL) per data directory, so outcomes survive a restart or crash.
// Writes go first to the pending log (one write(2) each, durable as a commit) and reach the database in batches.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { emptyUsage, type ExecutionResult } from '../contract/outcome.js';
import { DomainError } from './domain-error.js';
import type { InsertOutcome, Journal } from './journal.js';
import { fromRow, migrate, toRow, type TaskRow } from './journal-schema.js';
import { foldWrites, PendingLog, type PendingWrite } from './pending-log.js';
import { isTerminal, pageToken, parsePageToken, type NewTask, type TaskPage, type TaskQuery, type TaskRecord } from './task-record.js';

export interface SqliteJournalOptions {
  /** Data directory; created (mode 0700) when missing. The database is `<dir>/ari.db`. */
  dir: string;
  /** Finished tasks kept at most (oldest pruned first). */
  retainCount: number;
  /** Finished tasks older than this are pruned. */
  retainMs: number;
  /** How often retention runs besides at open; 0 disables the timer. */
  pruneIntervalMs?: number;
  logger?: Logger;
}

export const DB_FILE = 'ari.db';
/** The pending log beside the database (pending-log.ts). */
export const PENDING_FILE = 'ari.db-pending';
/**
 * Pending writes reach the database at least this often, and at once (next turn) past APPLY_AT of them: the log stays
 * small, and one transaction carries many tasks instead of two commits for each (issue 12: ~220 µs of a trivial
 * task's 1.5 ms were the two commits).
 */
const APPLY_MS = 100;
const APPLY_AT = 1000;

function restartedResult(r: TaskRecord, now: number): ExecutionResult {
  const was = r.status === 'RUNNING' ? 'running' : 'queued';
  return {
    status: 'FAILED',
    error: { code: 'DAEMON_RESTARTED', message: `the daemon stopped while this task was ${was}; it was not run again (submit it under a new task_id to retry)` },
    usage: { ...emptyUsage(), wallMs: r.startedAt ? Math.max(0, now - r.startedAt) : 0 },
    metrics: {},
  };
}

type StatementName = 'get' | 'insert' | 'running' | 'finish' | 'unfinished' | 'pruneAge' | 'pruneCount';

/** better-sqlite3 is synchronous; the async methods keep the Journal contract every store shares. */
export class SqliteJournal implements Journal {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly stmt: Record<StatementName, Database.Statement>;
  /** Outcomes the disk refused (full, I/O error): still answered by this process, logged loudly. */
  private readonly unsaved = new Map<string, TaskRecord>();
  private readonly timer?: NodeJS.Timeout;
  private readonly applyTimer: NodeJS.Timeout;
  private readonly log: PendingLog;
  /** The current record of every task the pending log's writes touch (what get() answers before the database has it). */
  private readonly pending = new Map<string, TaskRecord>();
  private applySoon = false;

  constructor(private readonly opts: SqliteJournalOptions) {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.file = join(opts.dir, DB_FILE);
    this.db = new Database(this.file, { timeout: 2_000 });
    try {
      // EXCLUSIVE locking: one daemon per data directory, or the second would declare the first's tasks interrupted.
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL survives a process crash (SIGKILL); only a power loss can drop the last commits.
      this.db.pragma('synchronous = NORMAL');
      this.db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (e) {
      this.db.close();
      const busy = (e as { code?: string }).code?.startsWith('SQLITE_BUSY');
      throw new Error(busy
        ? `storage ${opts.dir} is in use by another ari daemon: give each daemon its own [storage] path`
        : `cannot open the outcome database ${this.file}: ${(e as Error).message}`);
    }
    migrate(this.db, this.file);
    this.stmt = {
      get: this.db.prepare('SELECT * FROM tasks WHERE task_id = ?'),
      insert: this.db.prepare(`INSERT INTO tasks (task_id, agent_id, runtime, capability, request_hash, limits, status, created_at, started_at, finished_at, result)
        VALUES (@task_id, @agent_id, @runtime, @capability, @request_hash, @limits, @status, @created_at, @started_at, @finished_at, @result)
        ON CONFLICT (task_id) DO NOTHING`),
      running: this.db.prepare(`UPDATE tasks SET status = 'RUNNING', started_at = ? WHERE task_id = ? AND finished_at IS NULL`),
      finish: this.db.prepare('UPDATE tasks SET status = ?, result = ?, finished_at = ? WHERE task_id = ? AND finished_at IS NULL'),
      unfinished: this.db.prepare('SELECT * FROM tasks WHERE finished_at IS NULL ORDER BY created_at'),
      pruneAge: this.db.prepare('DELETE FROM tasks WHERE finished_at IS NOT NULL AND finished_at < ?'),
      pruneCount: this.db.prepare(`DELETE FROM tasks WHERE task_id IN (
        SELECT task_id FROM tasks WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, task_id DESC LIMIT -1 OFFSET ?)`),
    };
    // Opened only once the database lock is held: a second daemon on this directory never touches the log.
    this.log = new PendingLog(join(opts.dir, PENDING_FILE), () => this.applyNextTurn(), APPLY_AT);
    this.replay();
    this.applyTimer = setInterval(() => this.apply(), APPLY_MS);
    this.applyTimer.unref();
    this.prune(Date.now());
    const every = opts.pruneIntervalMs ?? 60_000;
    if (every > 0) {
      this.timer = setInterval(() => this.prune(Date.now()), every);
      this.timer.unref();
    }
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    return this.current(taskId);
  }

  /** Settles once the task is in the pending log: a client is told "accepted" only for a task the journal holds. */
  async insert(task: NewTask): Promise<InsertOutcome> {
    const id = task.record.taskId;
    const known = this.current(id);
    if (known) return { inserted: false, record: known };
    // Held before the write settles, so a second insert of this id in the same turn finds it.
    this.pending.set(id, { ...task.record });
    try {
      await this.log.add({ op: 'insert', row: toRow(task.record) });
    } catch (e) {
      this.pending.delete(id);
      // Not recorded = not accepted: the client gets a retryable refusal, never an untracked task.
      throw new DomainError('UNAVAILABLE', `cannot record the task: ${(e as Error).message}`);
    }
    return { inserted: true, record: { ...task.record } };
  }

  /** Not awaited for its write: a crash before it leaves the task QUEUED, recovered alike. */
  async markRunning(taskId: string, startedAt: number): Promise<void> {
    const r = this.current(taskId);
    if (!r || isTerminal(r.status)) return;
    this.pending.set(taskId, { ...r, status: 'RUNNING', startedAt });
    this.log.add({ op: 'running', taskId, at: startedAt })
      .catch((e: unknown) => this.opts.logger?.error({ err: e, task_id: taskId }, 'journal: cannot record RUNNING'));
  }

  /** Settles once the outcome is in the pending log, so an answered outcome survives a SIGKILL. */
  async finish(taskId: string, result: ExecutionResult, finishedAt: number): Promise<TaskRecord | undefined> {
    const r = this.current(taskId);
    if (!r || isTerminal(r.status)) return r;
    const final: TaskRecord = { ...r, status: result.status, result, finishedAt };
    this.pending.set(taskId, final);
    try {
      await this.log.add({ op: 'finish', taskId, status: result.status, result: JSON.stringify(result), at: finishedAt });
    } catch (e) {
      // The task did run: keep its outcome for this process so a retry by id cannot run it twice.
      this.opts.logger?.error({ err: e, task_id: taskId }, 'journal: cannot record the outcome; kept in memory only');
      this.unsaved.set(taskId, final);
    }
    return { ...final };
  }

  async list(q: TaskQuery): Promise<TaskPage> {
    this.apply();
    const after = parsePageToken(q.pageToken);
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.agentId) { where.push('agent_id = ?'); args.push(q.agentId); }
    if (q.status) { where.push('status = ?'); args.push(q.status); }
    if (q.sinceMs !== undefined) { where.push('created_at >= ?'); args.push(q.sinceMs); }
    if (after) { where.push('(created_at < ? OR (created_at = ? AND task_id < ?))'); args.push(after.createdAt, after.createdAt, after.taskId); }
    const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, task_id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit + 1) as TaskRow[];
    const records = rows.slice(0, q.limit).map((row) => this.unsaved.get(row.task_id) ?? fromRow(row));
    return { records, next: rows.length > q.limit ? pageToken(records[records.length - 1]!) : '' };
  }

  /** Everything unfinished belongs to a previous daemon (the lock guarantees no other is live). */
  async recoverInterrupted(now: number): Promise<TaskRecord[]> {
    this.apply();
    return this.db.transaction(() => {
      const rows = this.stmt.unfinished.all() as TaskRow[];
      return rows.map((row) => {
        const r = fromRow(row);
        const result = restartedResult(r, now);
        this.stmt.finish.run(result.status, JSON.stringify(result), now, r.taskId);
        return { ...r, status: result.status, result, finishedAt: now };
      });
    })();
  }

  /** Drops finished tasks older than retainMs, then all but the newest retainCount; unfinished ones stay. */
  prune(now: number): number {
    try {
      this.apply();
      return this.db.transaction(() =>
        this.stmt.pruneAge.run(now - this.opts.retainMs).changes + this.stmt.pruneCount.run(this.opts.retainCount).changes)();
    } catch (e) {
      this.opts.logger?.error({ err: e }, 'journal: retention failed');
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    clearInterval(this.applyTimer);
    if (this.db.open) {
      this.apply();
      this.log.close();
      this.db.close();
    }
  }

  /** Moves every pending write into the database in one transaction, then empties the log; on failure both stay. */
  apply(): void {
    this.applySoon = false;
    if (!this.db.open) return;
    try {
      // Every insert of a drain is new (insert() checked), so its task's later writes may be folded into it.
      this.log.drain((writes) => this.applyWrites(foldWrites(writes)));
    } catch (e) {
      this.opts.logger?.error({ err: e }, 'journal: cannot move pending writes into the database; they stay in the pending log');
      return;
    }
    this.pending.clear();
  }

  private applyNextTurn(): void {
    if (this.applySoon) return;
    this.applySoon = true;
    setImmediate(() => this.apply());
  }

  /** Idempotent, so a crash between the database's commit and the log's truncation only replays what is there. */
  private applyWrites(writes: PendingWrite[]): void {
    this.db.transaction(() => {
      for (const w of writes) {
        if (w.op === 'insert') this.stmt.insert.run(w.row);
        else if (w.op === 'running') this.stmt.running.run(w.at, w.taskId);
        else this.stmt.finish.run(w.status, w.result, w.at, w.taskId);
      }
    })();
  }

  /** What a previous process left in the pending log (a crash, a SIGKILL) goes into the database before anything else. */
  private replay(): void {
    const writes = this.log.leftOver();
    if (writes.length) {
      try {
        this.applyWrites(writes);
      } catch (e) {
        this.db.close();
        throw new Error(`cannot apply the pending writes of ${this.log.file} to ${this.file}: ${(e as Error).message}`);
      }
      this.opts.logger?.info({ writes: writes.length }, 'journal: pending writes of the previous run applied');
    }
    this.log.clear();
  }

  private current(taskId: string): TaskRecord | undefined {
    const p = this.unsaved.has(taskId) ? undefined : this.pending.get(taskId);
    return p ? { ...p } : this.read(taskId);
  }

  private read(taskId: string): TaskRecord | undefined {
    const unsaved = this.unsaved.get(taskId);
    if (unsaved) return { ...unsaved };
    const row = this.stmt.get.get(taskId) as TaskRow | undefined;
    return row ? fromRow(row) : undefined;
  }
}
