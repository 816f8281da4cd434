// Schema 4 (issue 12): a database written by schema 3 (tasks WITHOUT ROWID) is moved into the rowid table at open,
// with every row, its outcome and the idempotency of its task ids kept.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE, SqliteJournal } from '../../src/core/sqlite-journal.js';
import { SCHEMA_VERSION } from '../../src/core/journal-schema.js';
import { done, newTask, record } from './journal-contract.js';

/** The tables and indexes schema 3 left (migrations 1–3). */
const SCHEMA_3 = `
  CREATE TABLE tasks (task_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, runtime TEXT NOT NULL, capability TEXT NOT NULL,
    request_hash TEXT NOT NULL, limits TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER,
    finished_at INTEGER, result TEXT) WITHOUT ROWID;
  CREATE INDEX tasks_finished ON tasks(finished_at) WHERE finished_at IS NOT NULL;
  CREATE INDEX tasks_created ON tasks(created_at DESC, task_id DESC);
  CREATE INDEX tasks_agent_created ON tasks(agent_id, created_at DESC, task_id DESC);
  PRAGMA user_version = 3;
`;

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('journal schema 4', () => {
  it('moves a schema-3 database into the rowid table, keeping every task and its outcome', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ari-migrate-'));
    dirs.push(dir);
    const old = new Database(join(dir, DB_FILE));
    old.exec(SCHEMA_3);
    const ins = old.prepare('INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const limits = JSON.stringify(record('x').limits);
    ins.run('done-1', 'math', 'wasm', 'arithmetic', 'h-done-1', limits, 'COMPLETED', 1000, 1001, 1002, JSON.stringify(done({ result: 42 })));
    ins.run('queued-1', 'math', 'wasm', 'arithmetic', 'h-queued-1', limits, 'QUEUED', 2000, null, null, null);
    old.close();

    const j = new SqliteJournal({ dir, retainCount: 1000, retainMs: 1e14, pruneIntervalMs: 0 });
    try {
      expect(await j.get('done-1')).toEqual({ ...record('done-1'), status: 'COMPLETED', startedAt: 1001, finishedAt: 1002, result: done({ result: 42 }) });
      expect(await j.get('queued-1')).toEqual(record('queued-1', 2000));
      expect((await j.insert(newTask(record('done-1')))).inserted).toBe(false); // a known id stays known
      expect((await j.insert(newTask(record('new-1', 3000)))).inserted).toBe(true);
      expect((await j.list({ limit: 10, pageToken: '' })).records.map((r) => r.taskId)).toEqual(['new-1', 'queued-1', 'done-1']);
    } finally {
      await j.close();
    }
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'tasks'").get() as { sql: string }).sql;
      expect(sql).not.toMatch(/WITHOUT ROWID/);
      expect(sql).toMatch(/task_id\s+TEXT NOT NULL UNIQUE/);
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'").all() as { name: string }[]).map((r) => r.name);
      expect(indexes).toEqual(expect.arrayContaining(['tasks_finished', 'tasks_created', 'tasks_agent_created']));
      expect(db.prepare('SELECT count(*) AS n FROM tasks').get()).toEqual({ n: 3 });
    } finally {
      db.close();
    }
  });
});
