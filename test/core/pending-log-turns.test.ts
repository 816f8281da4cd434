// PendingLog's write timing: a lone task's insert and outcome are written at once; writes of tasks that can share a
// turn wait for its single write(2); a failed insert stops counting as open.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PendingLog } from '../../src/core/pending-log.js';
import type { TaskRow } from '../../src/core/journal-schema.js';

const row = (id: string): TaskRow => ({
  task_id: id, agent_id: 'math', runtime: 'wasm', capability: 'c', request_hash: 'h', limits: '{}', status: 'QUEUED',
  created_at: 1, started_at: null, finished_at: null, result: null,
});
const finish = (id: string) => ({ op: 'finish' as const, taskId: id, status: 'COMPLETED', result: '{}', at: 2 });
const logs: PendingLog[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const l of logs.splice(0)) l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function newLog(): PendingLog {
  const dir = mkdtempSync(join(tmpdir(), 'ari-turns-'));
  dirs.push(dir);
  const log = new PendingLog(join(dir, 'pending'), () => {}, 1000);
  logs.push(log);
  return log;
}
const lines = (log: PendingLog) => readFileSync(log.file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).op + ':' + (JSON.parse(l).taskId ?? JSON.parse(l).row.task_id));

describe('PendingLog turns', () => {
  it('writes a lone task\'s insert, and its outcome with the mark before it, at once', async () => {
    const log = newLog();
    const inserted = log.add({ op: 'insert', row: row('a') });
    expect(lines(log)).toEqual(['insert:a']); // before any later turn
    await inserted;
    void log.add({ op: 'running', taskId: 'a', at: 2 });
    expect(lines(log)).toEqual(['insert:a']); // a mark alone waits for the turn
    const done = log.add(finish('a'));
    expect(lines(log)).toEqual(['insert:a', 'running:a', 'finish:a']);
    await done;
  });

  it('holds the writes of tasks that can share a turn for its one write', async () => {
    const log = newLog();
    await log.add({ op: 'insert', row: row('a') });
    const b = log.add({ op: 'insert', row: row('b') }); // a is still open: b can share a turn
    const c = log.add({ op: 'insert', row: row('c') });
    expect(lines(log)).toEqual(['insert:a']);
    await Promise.all([b, c]);
    expect(lines(log)).toEqual(['insert:a', 'insert:b', 'insert:c']);
    const fa = log.add(finish('a'));
    const fb = log.add(finish('b'));
    expect(lines(log)).toHaveLength(3);
    await Promise.all([fa, fb]);
    const fc = log.add(finish('c')); // the last open task: at once
    expect(lines(log)).toEqual(['insert:a', 'insert:b', 'insert:c', 'finish:a', 'finish:b', 'finish:c']);
    await fc;
  });

  it('stops counting a task whose insert failed as open (the disk refused it: not accepted)', async () => {
    const log = new PendingLog('/dev/full', () => {}, 1000); // every write fails with ENOSPC
    logs.push(log);
    await expect(log.add({ op: 'insert', row: row('a') })).rejects.toThrow(/ENOSPC/);
    let settled = false;
    void log.add({ op: 'insert', row: row('b') }).catch(() => { settled = true; });
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true); // written (and refused) at once: b is lone, a no longer counts
  });
});
