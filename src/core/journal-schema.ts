// The outcome database's schema (versioned with PRAGMA user_version) and the row ⇄ TaskRecord mapping.
import type Database from 'better-sqlite3';
import type { ExecutionResult, TaskStatus } from '../contract/outcome.js';
import type { Limits } from '../contract/limits.js';
import type { RuntimeName } from '../contract/agent.js';
import type { TaskRecord } from './task-record.js';

export const SCHEMA_VERSION = 4;

/** Every column after task_id, the same in schema 1's table and schema 4's. */
const TASK_COLUMNS = `agent_id TEXT NOT NULL, runtime TEXT NOT NULL, capability TEXT NOT NULL, request_hash TEXT NOT NULL,
      limits TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, result TEXT`;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE tasks (
      task_id      TEXT PRIMARY KEY,
      ${TASK_COLUMNS}
    ) WITHOUT ROWID;
    -- Retention walks finished tasks oldest first; recovery finds unfinished ones.
    CREATE INDEX tasks_finished ON tasks(finished_at) WHERE finished_at IS NOT NULL;
    CREATE INDEX tasks_unfinished ON tasks(status) WHERE finished_at IS NULL;
  `,
  // Listings walk tasks newest first, optionally per agent.
  2: `
    CREATE INDEX tasks_created ON tasks(created_at DESC, task_id DESC);
    CREATE INDEX tasks_agent_created ON tasks(agent_id, created_at DESC, task_id DESC);
  `,
  // Every task's insert and outcome wrote a page of this index (issue 12: ~13% of the journal's per-task cost); only
  // recovery at start reads unfinished tasks, and a scan of the retained rows there costs less than that on every task.
  3: `
    DROP INDEX tasks_unfinished;
  `,
  // A rowid table with task_id UNIQUE instead of WITHOUT ROWID: a WITHOUT ROWID table keeps its ~1 KB rows in the
  // task_id b-tree, so random ids (UUIDs) dirtied a page per row; the rowid table appends, and only the small
  // task_id index is written at random (issue 12, `npm run bench journal`: half the time per UUID-keyed insert).
  4: `
    CREATE TABLE tasks_v4 (
      task_id      TEXT NOT NULL UNIQUE,
      ${TASK_COLUMNS}
    );
    INSERT INTO tasks_v4 SELECT task_id, agent_id, runtime, capability, request_hash, limits, status, created_at, started_at, finished_at, result
      FROM tasks ORDER BY created_at, task_id;
    DROP TABLE tasks;
    ALTER TABLE tasks_v4 RENAME TO tasks;
    CREATE INDEX tasks_finished ON tasks(finished_at) WHERE finished_at IS NOT NULL;
    CREATE INDEX tasks_created ON tasks(created_at DESC, task_id DESC);
    CREATE INDEX tasks_agent_created ON tasks(agent_id, created_at DESC, task_id DESC);
  `,
};

/**
 * Brings a database to SCHEMA_VERSION; refuses one written by a newer ari rather than guessing. `upTo` stops at an
 * older version (the journal bench compares layouts with it).
 */
export function migrate(db: Database.Database, file: string, upTo = SCHEMA_VERSION): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`${file}: outcome database has schema version ${current}, newer than this ari understands (${SCHEMA_VERSION})`);
  }
  for (let v = current + 1; v <= upTo; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v}`);
    })();
  }
}

export interface TaskRow {
  task_id: string;
  agent_id: string;
  runtime: string;
  capability: string;
  request_hash: string;
  limits: string;
  status: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  result: string | null;
}

/**
 * The limits column also carries the task's egress allowlist, as `network` beside the limits (no schema change);
 * a record without one writes exactly the limits, as before.
 */
export function limitsColumn(r: Pick<TaskRecord, 'limits' | 'network'>): string {
  return JSON.stringify(r.network ? { ...r.limits, network: r.network.allow } : r.limits);
}

function fromLimitsColumn(text: string): Pick<TaskRecord, 'limits' | 'network'> {
  const { network, ...limits } = JSON.parse(text) as Limits & { network?: string[] };
  return network ? { limits, network: { allow: network } } : { limits };
}

export function toRow(r: TaskRecord): TaskRow {
  return {
    task_id: r.taskId,
    agent_id: r.agentId,
    runtime: r.runtime,
    capability: r.capability,
    request_hash: r.requestHash,
    limits: limitsColumn(r),
    status: r.status,
    created_at: r.createdAt,
    started_at: r.startedAt ?? null,
    finished_at: r.finishedAt ?? null,
    result: r.result ? JSON.stringify(r.result) : null,
  };
}

export function fromRow(row: TaskRow): TaskRecord {
  const r: TaskRecord = {
    taskId: row.task_id,
    agentId: row.agent_id,
    runtime: row.runtime as RuntimeName,
    capability: row.capability,
    requestHash: row.request_hash,
    ...fromLimitsColumn(row.limits),
    status: row.status as TaskStatus,
    createdAt: row.created_at,
  };
  if (row.started_at !== null) r.startedAt = row.started_at;
  if (row.finished_at !== null) r.finishedAt = row.finished_at;
  if (row.result !== null) r.result = JSON.parse(row.result) as ExecutionResult;
  return r;
}
