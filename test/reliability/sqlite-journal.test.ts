// SqliteJournal on a real database file: round trip, reopen, restart recovery, retention, one daemon per dir.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJournal } from '../../src/core/sqlite-journal.js';
import type { TaskRecord } from '../../src/core/task-record.js';
import { emptyUsage, type ExecutionResult } from '../../src/contract/outcome.js';

const LIMITS = { timeoutMs: 1000, memoryBytes: 1 << 24, cpuMillis: 1000, fuel: 1e9, pids: 8, outputBytes: 1 << 20 };
const record = (taskId: string, createdAt = 1000): TaskRecord => ({
  taskId, agentId: 'math', runtime: 'wasm', capability: 'arithmetic', requestHash: `h-${taskId}`,
  limits: LIMITS, status: 'QUEUED', createdAt,
});
const done = (output: unknown): ExecutionResult => ({ status: 'COMPLETED', output, usage: { ...emptyUsage(), wallMs: 3 }, metrics: { n: 2 } });

const open: SqliteJournal[] = [];
function journal(dir: string, retainCount = 1000, retainMs = 1e14): SqliteJournal {
  const j = new SqliteJournal({ dir, retainCount, retainMs, pruneIntervalMs: 0 });
  open.push(j);
  return j;
}
const tempDir = () => mkdtempSync(join(tmpdir(), 'ari-journal-'));
afterEach(() => { for (const j of open.splice(0)) j.close(); });

describe('SqliteJournal', () => {
  it('records a task through its lifecycle and finds it again after reopening', () => {
    const dir = tempDir();
    const a = journal(dir);
    a.insert(record('t1'));
    expect(a.get('t1')).toMatchObject({ status: 'QUEUED', limits: LIMITS, requestHash: 'h-t1' });
    a.markRunning('t1', 1100);
    expect(a.get('t1')).toMatchObject({ status: 'RUNNING', startedAt: 1100 });
    a.finish('t1', done({ result: 42 }), 1200);
    a.finish('t1', { ...done(0), status: 'FAILED' }, 1300); // a second outcome never overwrites the first
    a.close();
    const b = journal(dir);
    expect(b.get('t1')).toEqual({ ...record('t1'), status: 'COMPLETED', startedAt: 1100, finishedAt: 1200, result: done({ result: 42 }) });
    expect(b.get('nope')).toBeUndefined();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('recoverInterrupted marks every QUEUED and RUNNING task FAILED DAEMON_RESTARTED, once', () => {
    const dir = tempDir();
    const a = journal(dir);
    a.insert(record('queued'));
    a.insert(record('running'));
    a.markRunning('running', 2000);
    a.insert(record('finished'));
    a.finish('finished', done(1), 1500);
    a.close();
    const b = journal(dir);
    const got = b.recoverInterrupted(5000);
    expect(got.map((r) => r.taskId).sort()).toEqual(['queued', 'running']);
    for (const id of ['queued', 'running']) {
      expect(b.get(id)).toMatchObject({ status: 'FAILED', finishedAt: 5000, result: { status: 'FAILED', error: { code: 'DAEMON_RESTARTED' } } });
    }
    expect(b.get('running')!.result!.usage.wallMs).toBe(3000);
    expect(b.get('finished')).toMatchObject({ status: 'COMPLETED', result: { output: 1 } });
    expect(b.recoverInterrupted(6000)).toEqual([]);
  });

  it('retention prunes finished tasks by age and by count, never unfinished ones', () => {
    const j = journal(tempDir(), 3, 10_000);
    for (let i = 0; i < 6; i++) {
      j.insert(record(`f${i}`, i));
      j.finish(`f${i}`, done(i), 100_000 + i * 1000);
    }
    j.insert(record('old-but-queued', 0));
    expect(j.prune(110_000)).toBe(3); // count: keeps f3..f5
    expect(['f0', 'f1', 'f2'].map((id) => j.get(id))).toEqual([undefined, undefined, undefined]);
    expect(j.prune(113_500)).toBe(1); // age: f3 finished at 103000 < 103500
    expect(j.get('f4')).toBeDefined();
    expect(j.get('old-but-queued')).toMatchObject({ status: 'QUEUED' });
  });

  it('a second journal on the same directory is refused while the first is open', () => {
    const dir = tempDir();
    journal(dir);
    expect(() => journal(dir)).toThrow(/in use by another ari daemon/);
  });

  it('keeps large outputs and unicode intact', () => {
    const j = journal(tempDir());
    const output = { text: 'ünï😀'.repeat(10_000), nested: [{ a: [1, 2, { b: null }] }] };
    j.insert(record('big'));
    j.finish('big', done(output), 10);
    expect(j.get('big')!.result!.output).toEqual(output);
  });
});
