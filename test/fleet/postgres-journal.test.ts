// The Journal contract on a real PostgreSQL, plus what only a shared store does: one id fleet-wide, claims, leases, retention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresJournal } from '../../src/store/postgres-journal.js';
import { done, journalContract, newTask, record } from '../core/journal-contract.js';
import { startTestPostgres, type TestPostgres } from './pg-harness.js';

let pgsrv: TestPostgres;
let n = 0;
beforeAll(async () => { pgsrv = await startTestPostgres(); }, 120_000);
afterAll(() => pgsrv?.destroy());

const opened: PostgresJournal[] = [];
async function open(url: string, daemonId = 'd1', leaseMs = 10_000): Promise<PostgresJournal> {
  const j = await PostgresJournal.open({ url, daemonId, leaseMs, liveMs: 10_000, retainCount: 1000, retainMs: 1e14, pruneIntervalMs: 0 });
  opened.push(j);
  return j;
}
afterAll(async () => { for (const j of opened.splice(0)) await j.close(); });

journalContract('PostgreSQL', async () => PostgresJournal.open({
  url: await pgsrv.createDatabase(`contract${n++}`), daemonId: 'c', leaseMs: 10_000, liveMs: 10_000, retainCount: 1000, retainMs: 1e14, pruneIntervalMs: 0,
}));

describe('PostgresJournal as a fleet store', () => {
  it('migrates once when several daemons open the store at the same time', async () => {
    const url = await pgsrv.createDatabase('together');
    const js = await Promise.all(['a', 'b', 'c', 'd'].map((id) => open(url, id)));
    await js[0]!.insert(newTask(record('x')));
    expect((await js[3]!.get('x'))?.taskId).toBe('x');
  });

  it('a claimed task carries its egress allowlist, so the claiming replica runs it with the same network', async () => {
    const url = await pgsrv.createDatabase('claimnet');
    const [a, b] = [await open(url, 'a'), await open(url, 'b')];
    const network = { allow: ['api.example.com:443', '203.0.113.7:8080'] };
    await a.insert({ ...newTask({ ...record('net1'), network }), queueMax: 10 });
    const [c] = await b.claim('wasm', [{ agentId: 'math', agentHash: 'agent-hash' }], 1);
    expect(c!.record).toMatchObject({ taskId: 'net1', status: 'RUNNING', network, limits: record('net1').limits });
  });

  it('claims each queued task once across replicas, oldest first, only for the same agent fingerprint', async () => {
    const url = await pgsrv.createDatabase('claims');
    const [a, b] = [await open(url, 'a'), await open(url, 'b')];
    for (let i = 0; i < 30; i++) await a.insert({ ...newTask(record(`q${i}`, 1000 + i)), queueMax: 100 });
    expect(await a.claim('wasm', [{ agentId: 'math', agentHash: 'other' }], 10)).toEqual([]);
    const agents = [{ agentId: 'math', agentHash: 'agent-hash' }];
    const got = await Promise.all([a.claim('wasm', agents, 20), b.claim('wasm', agents, 20), a.claim('wasm', agents, 20)]);
    const ids = got.flat().map((c) => c.record.taskId);
    expect(ids.length).toBe(30);
    expect(new Set(ids).size).toBe(30);
    expect(got.flat().every((c) => c.record.status === 'RUNNING' && (c.input as { a: number }).a === 1)).toBe(true);
  });

  it('refuses a task when the fleet queue of its backend is full', async () => {
    const url = await pgsrv.createDatabase('bounded');
    const a = await open(url, 'a');
    for (let i = 0; i < 3; i++) await a.insert({ ...newTask(record(`b${i}`)), queueMax: 3 });
    await expect(a.insert({ ...newTask(record('b3')), queueMax: 3 })).rejects.toThrow(/fleet's wasm queue is full/);
    // a task the receiver runs at once is not queued, so it is not bounded by the queue
    expect((await a.insert({ ...newTask({ ...record('b4'), status: 'RUNNING', startedAt: 1 }), queueMax: 3, claimedBy: 'a' })).inserted).toBe(true);
  });

  it('records a running task whose lease ran out as FAILED DAEMON_LOST, once, and cancels across replicas', async () => {
    const url = await pgsrv.createDatabase('leases');
    const a = await open(url, 'a', 300);
    const b = await open(url, 'b', 300);
    await a.insert({ ...newTask({ ...record('lease', 1000), status: 'RUNNING', startedAt: Date.now() }), claimedBy: 'a' });
    await a.insert({ ...newTask({ ...record('kept', 1000), status: 'RUNNING', startedAt: Date.now() }), claimedBy: 'a' });
    await new Promise((r) => setTimeout(r, 400));
    expect(await a.renew(['kept'])).toEqual([]);
    const lost = await b.expireLeases();
    expect(lost.map((r) => r.taskId)).toEqual(['lease']);
    expect(lost[0]).toMatchObject({ status: 'FAILED', result: { error: { code: 'DAEMON_LOST' } } });
    expect(lost[0]!.result!.error!.message).toMatch(/daemon a .*not run again/);
    expect(await b.expireLeases()).toEqual([]);
    const notices: string[] = [];
    a.onNotice((n) => notices.push(`${n.taskId}:${n.kind}`));
    expect((await b.requestCancel('kept', 'by test'))?.status).toBe('RUNNING');
    expect(await a.renew(['kept'])).toEqual(['kept']);
    await a.insert({ ...newTask(record('queued')), queueMax: 10 });
    expect(await b.requestCancel('queued', 'by test')).toMatchObject({ status: 'CANCELLED', result: { error: { code: 'CANCELLED' } } });
    await expect.poll(() => notices.includes('kept:cancel')).toBe(true);
    expect((await a.finish('kept', done(1), 5))?.status).toBe('COMPLETED');
  });

  it('refuses a daemon whose native uid range overlaps a live member', async () => {
    const url = await pgsrv.createDatabase('uids');
    const a = await open(url, 'a');
    const b = await open(url, 'b');
    const info = (daemonId: string, start: number) => ({ daemonId, host: 'h', address: 'x', freeSlots: {}, uidRange: [start, 64] as [number, number], agents: [] });
    await a.heartbeat(info('a', 2_400_000), true);
    await expect(b.heartbeat(info('b', 2_400_032), true)).rejects.toThrow(/overlap those of live daemon a/);
    await b.heartbeat(info('b', 2_500_000), true);
    expect((await b.members()).map((m) => [m.daemonId, m.live])).toEqual([['a', true], ['b', true]]);
  });

  it('prunes fleet-wide by age and count, never unfinished tasks', async () => {
    const url = await pgsrv.createDatabase('prune');
    const j = await PostgresJournal.open({ url, daemonId: 'p', leaseMs: 1000, liveMs: 1000, retainCount: 3, retainMs: 10_000, pruneIntervalMs: 0 });
    opened.push(j);
    for (let i = 0; i < 6; i++) {
      await j.insert(newTask(record(`f${i}`, i)));
      await j.finish(`f${i}`, done(i), 100_000 + i * 1000);
    }
    await j.insert(newTask(record('old-but-queued', 0)));
    expect(await j.prune(110_000)).toBe(3);
    expect(await j.prune(113_500)).toBe(1);
    expect(await j.get('f4')).toBeDefined();
    expect(await j.get('old-but-queued')).toMatchObject({ status: 'QUEUED' });
  });
});
