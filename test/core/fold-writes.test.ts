// foldWrites: a task's RUNNING mark and outcome ride in its insert when one batch holds them, with the UPDATEs' guards.
import { describe, expect, it } from 'vitest';
import { foldWrites, type PendingWrite } from '../../src/core/pending-log.js';
import type { TaskRow } from '../../src/core/journal-schema.js';

const row = (id: string, extra: Partial<TaskRow> = {}): TaskRow => ({
  task_id: id, agent_id: 'math', runtime: 'wasm', capability: 'c', request_hash: 'h', limits: '{}', status: 'QUEUED',
  created_at: 1, started_at: null, finished_at: null, result: null, ...extra,
});

describe('foldWrites', () => {
  it('folds a mark and an outcome into the insert of the same batch, and leaves other tasks\' writes alone', () => {
    const writes: PendingWrite[] = [
      { op: 'running', taskId: 'old', at: 5 },
      { op: 'insert', row: row('a') },
      { op: 'insert', row: row('b') },
      { op: 'running', taskId: 'a', at: 2 },
      { op: 'finish', taskId: 'a', status: 'COMPLETED', result: '{"status":"COMPLETED"}', at: 3 },
      { op: 'finish', taskId: 'old', status: 'FAILED', result: '{}', at: 6 },
    ];
    expect(foldWrites(writes)).toEqual([
      { op: 'running', taskId: 'old', at: 5 },
      { op: 'insert', row: row('a', { status: 'COMPLETED', started_at: 2, finished_at: 3, result: '{"status":"COMPLETED"}' }) },
      { op: 'insert', row: row('b') },
      { op: 'finish', taskId: 'old', status: 'FAILED', result: '{}', at: 6 },
    ]);
    expect((writes[1] as { row: TaskRow }).row.status).toBe('QUEUED'); // the log's own writes are not changed
  });

  it('keeps the first outcome, as the guarded UPDATE does', () => {
    const out = foldWrites([
      { op: 'insert', row: row('a') },
      { op: 'finish', taskId: 'a', status: 'FAILED', result: '"lost"', at: 3 },
      { op: 'finish', taskId: 'a', status: 'COMPLETED', result: '"late"', at: 4 },
      { op: 'running', taskId: 'a', at: 5 },
    ]);
    expect(out).toEqual([{ op: 'insert', row: row('a', { status: 'FAILED', result: '"lost"', finished_at: 3 }) }]);
  });
});
