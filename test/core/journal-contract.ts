// The Journal contract, one suite for every store (memory, SQLite, PostgreSQL): what core may rely on.
import { afterAll, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/core/journal.js';
import type { NewTask, TaskRecord } from '../../src/core/task-record.js';
import { emptyUsage, type ExecutionResult } from '../../src/contract/outcome.js';

export const LIMITS = { timeoutMs: 1000, memoryBytes: 1 << 24, cpuMillis: 1000, fuel: 1e9, pids: 8, outputBytes: 1 << 20 } as TaskRecord['limits'];

export const record = (taskId: string, createdAt = 1000, agentId = 'math'): TaskRecord => ({
  taskId, agentId, runtime: 'wasm', capability: 'arithmetic', requestHash: `h-${taskId}`,
  limits: LIMITS, status: 'QUEUED', createdAt,
});
export const newTask = (r: TaskRecord): NewTask => ({ record: r, input: { a: 1 }, agentHash: 'agent-hash' });
export const done = (output: unknown): ExecutionResult => ({ status: 'COMPLETED', output, usage: { ...emptyUsage(), wallMs: 3 }, metrics: { n: 2 } });

/** `open` gives a fresh, empty journal each time; every store must pass every case. */
export function journalContract(name: string, open: () => Promise<Journal>): void {
  describe(`Journal contract: ${name}`, () => {
    const opened: Journal[] = [];
    const fresh = async () => { const j = await open(); opened.push(j); return j; };
    afterAll(async () => { for (const j of opened.splice(0)) await j.close(); });

    it('records a task through its lifecycle; the first outcome wins', async () => {
      const j = await fresh();
      expect(await j.insert(newTask(record('t1')))).toEqual({ inserted: true, record: record('t1') });
      expect(await j.get('t1')).toEqual(record('t1'));
      await j.markRunning('t1', 1100);
      expect(await j.get('t1')).toMatchObject({ status: 'RUNNING', startedAt: 1100 });
      const final = await j.finish('t1', done({ result: 42 }), 1200);
      expect(final).toEqual({ ...record('t1'), status: 'COMPLETED', startedAt: 1100, finishedAt: 1200, result: done({ result: 42 }) });
      expect(await j.finish('t1', { ...done(0), status: 'FAILED' }, 1300)).toEqual(final);
      await j.markRunning('t1', 1400); // never reopens a finished task
      expect(await j.get('t1')).toEqual(final);
      expect(await j.get('nope')).toBeUndefined();
    });

    it('returns the existing task for a known id, and exactly one of concurrent inserts wins', async () => {
      const j = await fresh();
      await j.insert(newTask(record('dup')));
      const again = await j.insert(newTask({ ...record('dup'), requestHash: 'other' }));
      expect(again).toEqual({ inserted: false, record: record('dup') });
      const racers = await Promise.all(Array.from({ length: 20 }, (_, i) => j.insert(newTask({ ...record('race'), requestHash: `h${i}` }))));
      expect(racers.filter((r) => r.inserted)).toHaveLength(1);
      const winner = racers.find((r) => r.inserted)!.record.requestHash;
      for (const r of racers) expect(r.record.requestHash).toBe(winner);
    });

    it('lists newest first, filtered by agent, status and time, in pages that cover everything once', async () => {
      const j = await fresh();
      for (let i = 0; i < 7; i++) await j.insert(newTask(record(`l${i}`, 10_000 + i, i % 2 ? 'odd' : 'even')));
      await j.finish('l6', done(6), 20_000);
      const ids: string[] = [];
      let next = '';
      do {
        const page = await j.list({ limit: 3, pageToken: next });
        expect(page.records.length).toBeLessThanOrEqual(3);
        ids.push(...page.records.map((r) => r.taskId));
        next = page.next;
      } while (next);
      expect(ids).toEqual(['l6', 'l5', 'l4', 'l3', 'l2', 'l1', 'l0']);
      expect((await j.list({ limit: 10, agentId: 'odd' })).records.map((r) => r.taskId)).toEqual(['l5', 'l3', 'l1']);
      expect((await j.list({ limit: 10, status: 'COMPLETED' })).records.map((r) => r.taskId)).toEqual(['l6']);
      expect((await j.list({ limit: 10, sinceMs: 10_005 })).records.map((r) => r.taskId)).toEqual(['l6', 'l5']);
      await expect(j.list({ limit: 1, pageToken: '!!!' })).rejects.toThrow(/page_token/);
    });

    it('keeps a task\'s egress allowlist and its egress log; a task without one stays without', async () => {
      const j = await fresh();
      const r: TaskRecord = { ...record('net', 5000), network: { allow: ['api.example.com:443', '*.example.org:443', '[2001:db8::1]:8443'] } };
      expect(await j.insert(newTask(r))).toEqual({ inserted: true, record: r });
      await j.insert(newTask(record('plain', 4000)));
      expect(await j.get('net')).toEqual(r);
      const egress = { records: [{ seq: 1, taskId: 'net', startedAt: 5100, kind: 'connect' as const, host: 'api.example.com', port: 443, address: '203.0.113.9',
        decision: 'allowed' as const, reason: 'allowlisted' as const, detail: '', entry: 'api.example.com:443', bytesUp: 517, bytesDown: 4096, durationMs: 12 }], dropped: 2 };
      const result: ExecutionResult = { ...done(1), usage: { ...emptyUsage(), egressBytes: 4613, egressConnections: 1 }, egress };
      const final = await j.finish('net', result, 5200);
      expect(final).toEqual({ ...r, status: 'COMPLETED', finishedAt: 5200, result });
      expect(await j.get('net')).toEqual(final);
      expect((await j.list({ limit: 10 })).records).toEqual([final, record('plain', 4000)]);
      expect(await j.get('plain')).not.toHaveProperty('network');
    });

    it('keeps large outputs, logs and unicode intact', async () => {
      const j = await fresh();
      const output = { text: 'ünï😀'.repeat(10_000), nested: [{ a: [1, 2, { b: null }] }] };
      await j.insert(newTask(record('big')));
      await j.finish('big', { ...done(output), logs: ['line 1', 'ü'] }, 10);
      expect((await j.get('big'))!.result).toEqual({ ...done(output), logs: ['line 1', 'ü'] });
    });
  });
}
