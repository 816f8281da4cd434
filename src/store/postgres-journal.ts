// The fleet store: the Journal and FleetStore on one shared PostgreSQL (the only module that talks to it).
import pg from 'pg';
import type { Logger } from 'pino';
import type { RuntimeName } from '../contract/agent.js';
import { emptyUsage, type ExecutionResult } from '../contract/outcome.js';
import { DomainError } from '../core/domain-error.js';
import { joinConflict } from '../core/fleet-checks.js';
import type { ClaimedTask, FleetStore, HostedAgent, Member, MemberInfo, TaskNotice } from '../core/fleet-store.js';
import type { InsertOutcome, Journal } from '../core/journal.js';
import { fromRow, limitsColumn, type TaskRow } from '../core/journal-schema.js';
import { pageToken, parsePageToken, type NewTask, type TaskPage, type TaskQuery, type TaskRecord } from '../core/task-record.js';
import { isOutage, storeUnavailable } from './pg-errors.js';
import { PgListener } from './pg-listener.js';
import { COLS, SQL } from './postgres-sql.js';
import { FLEET_LOCK, migratePostgres } from './postgres-schema.js';

export interface PostgresJournalOptions {
  url: string;
  daemonId: string;
  leaseMs: number;
  /** A member is live while its heartbeat is younger than this. */
  liveMs: number;
  retainCount: number;
  retainMs: number;
  pruneIntervalMs?: number;
  logger?: Logger;
}

const LOST_TEMPLATE = JSON.stringify({ status: 'FAILED', error: { code: 'DAEMON_LOST', message: '' }, usage: emptyUsage(), metrics: {} });
// bigint columns (ms timestamps) as numbers: they stay far below 2^53.
const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')) };

/** Where the store is, for messages, without credentials. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || u.searchParams.get('host') || 'localhost'}${u.port ? `:${u.port}` : ''}/${u.pathname.slice(1) || '(default db)'}`;
  } catch {
    return '(unparsable url)';
  }
}

export class PostgresJournal implements Journal, FleetStore {
  readonly fleet: FleetStore = this;
  readonly where: string;
  private readonly pool: pg.Pool;
  private readonly listener: PgListener;
  private readonly notices = new Set<(n: TaskNotice) => void>();
  private readonly outages = new Set<(down: boolean) => void>();
  /** Outcomes of tasks that ran while the store was down: written as soon as it is back. */
  private readonly pending = new Map<string, { result: ExecutionResult; finishedAt: number }>();
  private readonly incarnation = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private readonly timers: NodeJS.Timeout[] = [];
  private down = false;
  /** After an outage every lease looks expired: nobody declares others lost until they had a lease's time to renew. */
  private sweepAllowedAt = 0;

  get daemonId(): string { return this.opts.daemonId; }
  get leaseMs(): number { return this.opts.leaseMs; }

  static async open(opts: PostgresJournalOptions): Promise<PostgresJournal> {
    const j = new PostgresJournal(opts);
    try {
      const client = await j.pool.connect();
      try {
        const from = await migratePostgres(client, j.where);
        opts.logger?.info({ store: j.where, from_version: from }, 'fleet task store opened');
      } finally {
        client.release();
      }
      await j.listener.start();
    } catch (e) {
      await j.pool.end().catch(() => {});
      await j.listener.close();
      throw new Error(`cannot open the task store (PostgreSQL ${j.where}): ${(e as Error).message}`);
    }
    j.every(500, () => j.flushPending());
    j.every(opts.pruneIntervalMs ?? 60_000, () => j.prune(Date.now()));
    return j;
  }

  private constructor(private readonly opts: PostgresJournalOptions) {
    this.where = describeUrl(opts.url);
    const config: pg.PoolConfig = { connectionString: opts.url, max: 8, connectionTimeoutMillis: 3_000, application_name: `ari ${opts.daemonId}`, types };
    this.pool = new pg.Pool(config);
    this.pool.on('error', () => {}); // an idle client's broken connection: the next query reports it
    this.listener = new PgListener(config, 'ari_tasks', (p) => this.notice(p), (d) => this.setDown(d), opts.logger);
  }

  async get(taskId: string): Promise<TaskRecord | undefined> {
    const { rows } = await this.q<TaskRow>(SQL.get, [taskId]);
    const r = rows[0] && fromRow(rows[0]);
    const p = this.pending.get(taskId);
    return r && p ? { ...r, status: p.result.status, result: p.result, finishedAt: p.finishedAt } : r;
  }

  async insert(task: NewTask): Promise<InsertOutcome> {
    const r = task.record;
    const { rowCount } = await this.q(SQL.insert, [r.taskId, r.agentId, task.agentHash, r.runtime, r.capability, r.requestHash, limitsColumn(r),
      JSON.stringify(task.input ?? null), r.status, r.createdAt, r.startedAt ?? null, task.claimedBy ?? null, this.opts.leaseMs, task.queueMax ?? 2 ** 31]);
    if (rowCount === 1) return { inserted: true, record: { ...r } };
    const existing = await this.get(r.taskId);
    if (existing) return { inserted: false, record: existing };
    throw new DomainError('RESOURCE_EXHAUSTED', `the fleet's ${r.runtime} queue is full (${task.queueMax} tasks waiting across all daemons): retry later`);
  }

  async markRunning(taskId: string, startedAt: number): Promise<void> {
    await this.q(SQL.running, [taskId, startedAt]).catch((e) => this.opts.logger?.error({ err: e, task_id: taskId }, 'task store: cannot record RUNNING'));
  }

  async finish(taskId: string, result: ExecutionResult, finishedAt: number): Promise<TaskRecord | undefined> {
    try {
      const { rows } = await this.q<TaskRow>(SQL.finish, [taskId, result.status, JSON.stringify(result), finishedAt]);
      return rows[0] && fromRow(rows[0]);
    } catch (e) {
      // The task ran: its outcome is kept here and written once the store is back (a lease renewal keeps it ours).
      this.opts.logger?.error({ err: e, task_id: taskId }, 'task store: cannot record the outcome yet; retrying');
      this.pending.set(taskId, { result, finishedAt });
      return undefined;
    }
  }

  async list(q: TaskQuery): Promise<TaskPage> {
    const after = parsePageToken(q.pageToken);
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => { args.push(v); return `$${args.length}`; };
    if (q.agentId) where.push(`agent_id = ${arg(q.agentId)}`);
    if (q.status) where.push(`status = ${arg(q.status)}`);
    if (q.sinceMs !== undefined) where.push(`created_at >= ${arg(q.sinceMs)}`);
    if (after) where.push(`(created_at, task_id) < (${arg(after.createdAt)}, ${arg(after.taskId)})`);
    const sql = `SELECT ${COLS} FROM ari_tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, task_id DESC LIMIT ${arg(q.limit + 1)}`;
    const { rows } = await this.q<TaskRow>(sql, args);
    const records = rows.slice(0, q.limit).map(fromRow);
    return { records, next: rows.length > q.limit ? pageToken(records[records.length - 1]!) : '' };
  }

  /** This daemon's previous incarnation (same id) cannot still be running anything. */
  async recoverInterrupted(now: number): Promise<TaskRecord[]> {
    const { rows } = await this.q<TaskRow>(SQL.lost('mine'), [now, LOST_TEMPLATE, this.opts.daemonId]);
    return rows.map(fromRow);
  }

  async claim(runtime: RuntimeName, agents: HostedAgent[], max: number): Promise<ClaimedTask[]> {
    if (max <= 0 || agents.length === 0) return [];
    const { rows } = await this.q<TaskRow & { input: string }>(SQL.claim, [runtime, agents.map((a) => a.agentId), agents.map((a) => a.agentHash),
      this.opts.daemonId, Date.now(), this.opts.leaseMs, max]);
    return rows.map((row) => ({ record: fromRow(row), input: JSON.parse(row.input) as unknown }));
  }

  async renew(taskIds: string[]): Promise<string[]> {
    const ids = [...new Set([...taskIds, ...this.pending.keys()])];
    if (ids.length === 0) return [];
    const { rows } = await this.q<{ task_id: string; cancel_requested: boolean }>(SQL.renew, [ids, this.opts.daemonId, this.opts.leaseMs]);
    return rows.filter((r) => r.cancel_requested).map((r) => r.task_id);
  }

  async requestCancel(taskId: string, message: string): Promise<TaskRecord | undefined> {
    const result: ExecutionResult = { status: 'CANCELLED', error: { code: 'CANCELLED', message }, usage: emptyUsage(), metrics: {} };
    const { rows } = await this.q<TaskRow>(SQL.cancelQueued, [taskId, JSON.stringify(result), Date.now()]);
    if (rows[0]) return fromRow(rows[0]);
    await this.q(SQL.flagCancel, [taskId]);
    return this.get(taskId);
  }

  async expireLeases(): Promise<TaskRecord[]> {
    if (this.down || Date.now() < this.sweepAllowedAt) return [];
    const { rows } = await this.q<TaskRow>(SQL.lost('expired'), [Date.now(), LOST_TEMPLATE]);
    return rows.map(fromRow);
  }

  async heartbeat(info: MemberInfo, first: boolean): Promise<void> {
    const slots = JSON.stringify(info.freeSlots);
    if (!first) {
      await this.q(SQL.beat, [info.daemonId, this.incarnation, slots]);
      return;
    }
    // Registration is serialised fleet-wide, so two daemons starting together cannot both take one uid range.
    const client = await this.pool.connect().catch((e) => { throw storeUnavailable(this.where, e); });
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [FLEET_LOCK]);
      const live = (await this.membersWith(client)).filter((m) => m.live);
      const conflict = joinConflict(info, live);
      if (conflict) throw new Error(conflict);
      await client.query(SQL.join, [info.daemonId, this.incarnation, info.host, info.address, slots, info.uidRange[0], info.uidRange[1], JSON.stringify(info.agents)]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  members(): Promise<Member[]> {
    return this.membersWith(this.pool);
  }

  async queueDepth(): Promise<Partial<Record<RuntimeName, number>>> {
    const { rows } = await this.q<{ runtime: RuntimeName; n: number }>(SQL.queueDepth, []);
    return Object.fromEntries(rows.map((r) => [r.runtime, r.n]));
  }

  onNotice(listener: (n: TaskNotice) => void): () => void {
    this.notices.add(listener);
    return () => this.notices.delete(listener);
  }

  onOutage(listener: (down: boolean) => void): () => void {
    this.outages.add(listener);
    return () => this.outages.delete(listener);
  }

  async leave(): Promise<void> {
    await this.q(SQL.leave, [this.opts.daemonId, this.incarnation]).catch(() => {});
  }

  /** Fleet-wide retention, run by whichever daemon gets the lock first. */
  async prune(now: number): Promise<number> {
    const client = await this.pool.connect().catch(() => undefined);
    if (!client) return 0;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [FLEET_LOCK + 1]);
      let n = 0;
      if (rows[0]?.ok) {
        n = (await client.query(SQL.pruneAge, [now - this.opts.retainMs])).rowCount ?? 0;
        n += (await client.query(SQL.pruneCount, [this.opts.retainCount])).rowCount ?? 0;
        await client.query(SQL.pruneMembers);
      }
      await client.query('COMMIT');
      return n;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      this.opts.logger?.error({ err: e }, 'task store: retention failed');
      return 0;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.flushPending();
    if (this.pending.size) this.opts.logger?.error({ task_ids: [...this.pending.keys()] }, 'task store: outcomes not written at shutdown (store unreachable)');
    await this.leave();
    await this.listener.close();
    await this.pool.end().catch(() => {});
  }

  private async membersWith(db: pg.Pool | pg.PoolClient): Promise<Member[]> {
    const { rows } = await db.query(SQL.members, [this.opts.liveMs]).catch((e) => { throw isOutage(e) ? storeUnavailable(this.where, e) : e; });
    return rows.map((r: Record<string, unknown>) => ({
      daemonId: r.daemon_id as string, host: r.host as string, address: r.address as string,
      startedAt: r.started_at as number, heartbeatAt: r.heartbeat_at as number, live: r.live as boolean,
      freeSlots: JSON.parse(r.free_slots as string), uidRange: [r.uid_start as number, r.uid_count as number],
      agents: JSON.parse(r.agents as string) as HostedAgent[],
    }));
  }

  private async flushPending(): Promise<void> {
    for (const [taskId, p] of [...this.pending]) {
      try {
        await this.q(SQL.finish, [taskId, p.result.status, JSON.stringify(p.result), p.finishedAt]);
        this.pending.delete(taskId);
        this.opts.logger?.info({ task_id: taskId }, 'task store: buffered outcome written');
      } catch {
        return; // still down
      }
    }
  }

  private async q<R extends pg.QueryResultRow>(sql: string, args: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      const res = await this.pool.query<R>(sql, args);
      if (this.down) this.setDown(false);
      return res;
    } catch (e) {
      if (!isOutage(e)) throw e;
      this.setDown(true);
      throw storeUnavailable(this.where, e);
    }
  }

  private setDown(down: boolean): void {
    if (down === this.down) return;
    this.down = down;
    if (!down) this.sweepAllowedAt = Date.now() + this.opts.leaseMs;
    for (const l of this.outages) l(down);
  }

  private notice(payload: string): void {
    let n: { id: string; s: TaskNotice['status']; r: RuntimeName; k: TaskNotice['kind'] };
    try {
      n = JSON.parse(payload);
    } catch {
      return;
    }
    const notice: TaskNotice = { taskId: n.id, status: n.s, runtime: n.r, kind: n.k };
    for (const l of this.notices) l(notice);
  }

  private every(ms: number, f: () => Promise<unknown>): void {
    if (ms <= 0) return;
    const t = setInterval(() => { void f().catch(() => {}); }, ms);
    t.unref();
    this.timers.push(t);
  }
}
