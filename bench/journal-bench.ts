// The journal's drain into SQLite, per row: schema 3's WITHOUT ROWID table against schema 4's rowid table, with
// sequential and random (UUID) task ids, in batches of 50 as the pending log's drain writes them (issue 12).
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../src/core/journal-schema.js';
import type { BenchSection } from './run.js';
import { fmt } from './stats.js';

const BATCHES = Number(process.env.BENCH_JOURNAL_BATCHES ?? 1000);
const PER_BATCH = 50;
/** Each layout as the daemon's own migrations leave it. */
const LAYOUTS = { 'schema 3 (WITHOUT ROWID)': 3, 'schema 4 (rowid, task_id UNIQUE)': 4 };
// A trivial task's row as the daemon writes it: the resolved limits and a small outcome.
const LIMITS = JSON.stringify({ timeoutMs: 30_000, memoryBytes: 268_435_456, cpuMillis: 30_000, fuel: 1e9, pids: 64, outputBytes: 1_048_576 });
const RESULT = JSON.stringify({ status: 'COMPLETED', output: { result: 42 }, usage: { wallMs: 1, cpuMs: 0.5, fuelConsumed: 12_345, peakMemoryBytes: 65_536 }, metrics: {} });

/** µs per inserted row over BATCHES transactions (the database grows to BATCHES × 50 rows, like a retained journal). */
function insertCost(version: number, ids: 'sequential' | 'uuid'): number {
  const dir = mkdtempSync(join(tmpdir(), 'ari-journal-bench-'));
  const db = new Database(join(dir, 'ari.db'));
  try {
    for (const p of ['locking_mode = EXCLUSIVE', 'journal_mode = WAL', 'synchronous = NORMAL']) db.pragma(p);
    migrate(db, 'bench', version);
    const insert = db.prepare(`INSERT INTO tasks VALUES (@task_id, @agent_id, @runtime, @capability, @request_hash, @limits, @status,
      @created_at, @started_at, @finished_at, @result) ON CONFLICT (task_id) DO NOTHING`);
    const batch = db.transaction((rows: Record<string, unknown>[]) => { for (const r of rows) insert.run(r); });
    let n = 0;
    const t0 = performance.now();
    for (let b = 0; b < BATCHES; b++) {
      const now = Date.now();
      const rows = Array.from({ length: PER_BATCH }, () => ({
        task_id: ids === 'uuid' ? randomUUID() : `deployed-1234-${n++}`, agent_id: 'math', runtime: 'wasm', capability: 'arithmetic',
        request_hash: 'a'.repeat(64), limits: LIMITS, status: 'COMPLETED', created_at: now, started_at: now, finished_at: now, result: RESULT,
      }));
      batch(rows);
    }
    return ((performance.now() - t0) * 1000) / (BATCHES * PER_BATCH);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function journalSection(): Promise<BenchSection> {
  const rows = Object.entries(LAYOUTS).map(([name, version]) => [name, fmt(insertCost(version, 'sequential'), 1), fmt(insertCost(version, 'uuid'), 1)]);
  return {
    title: 'Journal drain: µs per task row inserted into SQLite (batches of 50, growing to 50 000 rows)',
    headers: ['table layout', 'sequential task ids', 'random task ids (UUID)'],
    rows,
    notes: [`${BATCHES} transactions of ${PER_BATCH} rows each, WAL, synchronous = NORMAL, the daemon's three indexes and INSERT statement`],
  };
}
