// SqliteJournal on a real database file: round trip, reopen, restart recovery, retention, one daemon per dir.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJournal } from '../../src/core/sqlite-journal.js';
import type { NewTask, TaskRecord } from '../../src/core/task-record.js';
import { emptyUsage, type ExecutionResult } from '../../src/contract/outcome.js';

const LIMITS = { timeoutMs: 1000, memoryBytes: 1 << 24, cpuMillis: 1000, fuel: 1e9, pids: 8, outputBytes: 1 << 20 };
const record = (taskId: string, createdAt = 1000): TaskRecord => ({
  taskId, agentId: 'math', runtime: 'wasm', capability: 'arithmetic', requestHash: `h-${taskId}`,
  limits: LIMITS, status: 'QUEUED', createdAt,
});
const task = (r: TaskRecord): NewTask => ({ record: r, input: {}, agentHash: 'h' });
const done = (output: unknown): ExecutionResult => ({ status: 'COMPLETED', output, usage: { ...emptyUsage(), wallMs: 3 }, metrics: { n: 2 } });

const open: SqliteJournal[] = [];
function journal(dir: string, retainCount = 1000, retainMs = 1e14): SqliteJournal {
  const j = new SqliteJournal({ dir, retainCount, retainMs, pruneIntervalMs: 0 });
  open.push(j);
  return j;
}
const tempDir = () => mkdtempSync(join(tmpdir(), 'ari-journal-'));
afterEach(async () => { for (const j of open.splice(0)) await j.close(); });

describe('SqliteJournal', () => {
  it('records a task through its lifecycle and finds it again after reopening', async () => {
    const dir = tempDir();
    const a = journal(dir);
    await a.insert(task(record('t1')));
    expect(await a.get('t1')).toMatchObject({ status: 'QUEUED', limits: LIMITS, requestHash: 'h-t1' });
    await a.markRunning('t1', 1100);
    expect(await a.get('t1')).toMatchObject({ status: 'RUNNING', startedAt: 1100 });
    await a.finish('t1', done({ result: 42 }), 1200);
    await a.finish('t1', { ...done(0), status: 'FAILED' }, 1300); // a second outcome never overwrites the first
    await a.close();
    const b = journal(dir);
    expect(await b.get('t1')).toEqual({ ...record('t1'), status: 'COMPLETED', startedAt: 1100, finishedAt: 1200, result: done({ result: 42 }) });
    expect(await b.get('nope')).toBeUndefined();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('recoverInterrupted marks every QUEUED and RUNNING task FAILED DAEMON_RESTARTED, once', async () => {
    const dir = tempDir();
    const a = journal(dir);
    await a.insert(task(record('queued')));
    await a.insert(task(record('running')));
    await a.markRunning('running', 2000);
    await a.insert(task(record('finished')));
    await a.finish('finished', done(1), 1500);
    await a.close();
    const b = journal(dir);
    const got = await b.recoverInterrupted(5000);
    expect(got.map((r) => r.taskId).sort()).toEqual(['queued', 'running']);
    for (const id of ['queued', 'running']) {
      expect(await b.get(id)).toMatchObject({ status: 'FAILED', finishedAt: 5000, result: { status: 'FAILED', error: { code: 'DAEMON_RESTARTED' } } });
    }
    expect((await b.get('running'))!.result!.usage.wallMs).toBe(3000);
    expect(await b.get('finished')).toMatchObject({ status: 'COMPLETED', result: { output: 1 } });
    expect(await b.recoverInterrupted(6000)).toEqual([]);
  });

  it('retention prunes finished tasks by age and by count, never unfinished ones', async () => {
    const j = journal(tempDir(), 3, 10_000);
    for (let i = 0; i < 6; i++) {
      await j.insert(task(record(`f${i}`, i)));
      await j.finish(`f${i}`, done(i), 100_000 + i * 1000);
    }
    await j.insert(task(record('old-but-queued', 0)));
    expect(j.prune(110_000)).toBe(3); // count: keeps f3..f5
    expect(await Promise.all(['f0', 'f1', 'f2'].map((id) => j.get(id)))).toEqual([undefined, undefined, undefined]);
    expect(j.prune(113_500)).toBe(1); // age: f3 finished at 103000 < 103500
    expect(await j.get('f4')).toBeDefined();
    expect(await j.get('old-but-queued')).toMatchObject({ status: 'QUEUED' });
  });

  it('a second journal on the same directory is refused while the first is open', async () => {
    const dir = tempDir();
    journal(dir);
    expect(() => journal(dir)).toThrow(/in use by another ari daemon/);
  });

  it('keeps large outputs and unicode intact', async () => {
    const j = journal(tempDir());
    const output = { text: 'ünï😀'.repeat(10_000), nested: [{ a: [1, 2, { b: null }] }] };
    await j.insert(task(record('big')));
    await j.finish('big', done(output), 10);
    expect((await j.get('big'))!.result!.output).toEqual(output);
  });
});
