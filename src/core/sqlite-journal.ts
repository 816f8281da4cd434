// The durable Journal of one daemon: one SQLite database (WAL) per data directory, so outcomes survive a restart or crash.
// Writes of one event-loop turn share one transaction (journal-batch.ts); inserts and outcomes settle after its commit.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { emptyUsage, type ExecutionResult } from '../contract/outcome.js';
import { DomainError } from './domain-error.js';
import { WriteBatch } from './journal-batch.js';
import type { InsertOutcome, Journal } from './journal.js';
import { fromRow, migrate, toRow, type TaskRow } from './journal-schema.js';
import { pageToken, parsePageToken, type NewTask, type TaskPage, type TaskQuery, type TaskRecord } from './task-record.js';

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

function restartedResult(r: TaskRecord, now: number): ExecutionResult {
  const was = r.status === 'RUNNING' ? 'running' : 'queued';
  return {
    status: 'FAILED',
    error: { code: 'DAEMON_RESTARTED', message: `the daemon stopped while this task was ${was}; it was not run again (submit it under a new task_id to retry)` },
    usage: { ...emptyUsage(), wallMs: r.startedAt ? Math.max(0, now - r.startedAt) : 0 },
    metrics: {},
  };
}

type StatementName = 'get' | 'insert' | 'running' | 'finish' | 'finishReturning' | 'unfinished' | 'pruneAge' | 'pruneCount';

/** better-sqlite3 is synchronous; the async methods keep the Journal contract every store shares. */
export class SqliteJournal implements Journal {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly stmt: Record<StatementName, Database.Statement>;
  /** Outcomes the disk refused (full, I/O error): still answered by this process, logged loudly. */
  private readonly unsaved = new Map<string, TaskRecord>();
  private readonly timer?: NodeJS.Timeout;
  private readonly batch: WriteBatch;

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
      // The final record in the same statement: no read after the write when this outcome is the first.
      finishReturning: this.db.prepare('UPDATE tasks SET status = ?, result = ?, finished_at = ? WHERE task_id = ? AND finished_at IS NULL RETURNING *'),
      unfinished: this.db.prepare('SELECT * FROM tasks WHERE finished_at IS NULL ORDER BY created_at'),
      pruneAge: this.db.prepare('DELETE FROM tasks WHERE finished_at IS NOT NULL AND finished_at < ?'),
      pruneCount: this.db.prepare(`DELETE FROM tasks WHERE task_id IN (
        SELECT task_id FROM tasks WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, task_id DESC LIMIT -1 OFFSET ?)`),
    };
    this.batch = new WriteBatch(this.db);
    this.prune(Date.now());
    const every = opts.pruneIntervalMs ?? 60_000;
    if (every > 0) {
      this.timer = setInterval(() => this.prune(Date.now()), every);
      this.timer.unref();
    }
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    this.batch.flush();
    return this.read(taskId);
  }

  /** Settles once the task is committed: a client is told "accepted" only for a task the journal holds. */
  insert(task: NewTask): Promise<InsertOutcome> {
    return this.batch.add({
      run: () => (this.stmt.insert.run(toRow(task.record)).changes === 1
        ? { inserted: true, record: { ...task.record } }
        : { inserted: false, record: this.read(task.record.taskId)! }),
      // Not recorded = not accepted: the client gets a retryable refusal, never an untracked task.
      onError: (e) => { throw new DomainError('UNAVAILABLE', `cannot record the task: ${(e as Error).message}`); },
    });
  }

  /** Not awaited for its commit: nothing is answered on it, and a crash before it leaves the task QUEUED (recovered alike). */
  async markRunning(taskId: string, startedAt: number): Promise<void> {
    this.batch.addQuietly({
      run: () => { this.stmt.running.run(startedAt, taskId); },
      onError: (e) => { this.opts.logger?.error({ err: e, task_id: taskId }, 'journal: cannot record RUNNING'); },
    });
  }

  /** Settles once the outcome is committed, so an answered outcome survives a SIGKILL. */
  finish(taskId: string, result: ExecutionResult, finishedAt: number): Promise<TaskRecord | undefined> {
    return this.batch.add({
      run: () => {
        const row = this.stmt.finishReturning.get(result.status, JSON.stringify(result), finishedAt, taskId) as TaskRow | undefined;
        return row && !this.unsaved.has(taskId) ? fromRow(row) : this.read(taskId);
      },
      onError: (e) => {
        // The task did run: keep its outcome for this process so a retry by id cannot run it twice.
        this.opts.logger?.error({ err: e, task_id: taskId }, 'journal: cannot record the outcome; kept in memory only');
        const r = this.read(taskId);
        if (r) this.unsaved.set(taskId, { ...r, status: result.status, result, finishedAt });
        return this.read(taskId);
      },
    });
  }

  async list(q: TaskQuery): Promise<TaskPage> {
    this.batch.flush();
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
    this.batch.flush();
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
      this.batch.flush();
      return this.db.transaction(() =>
        this.stmt.pruneAge.run(now - this.opts.retainMs).changes + this.stmt.pruneCount.run(this.opts.retainCount).changes)();
    } catch (e) {
      this.opts.logger?.error({ err: e }, 'journal: retention failed');
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.db.open) {
      this.batch.flush();
      this.db.close();
    }
  }

  private read(taskId: string): TaskRecord | undefined {
    const unsaved = this.unsaved.get(taskId);
    if (unsaved) return { ...unsaved };
    const row = this.stmt.get.get(taskId) as TaskRow | undefined;
    return row ? fromRow(row) : undefined;
  }
}
