// Three daemons on one PostgreSQL behave as one service: one id one execution, any replica answers, streams and cancels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AriRpcError } from '../../src/client/ari-client.js';
import type { WireTaskUpdate } from '../../src/server/wire-types.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildDaemon } from '../reliability/child-daemon.js';
import { sleepTask, startedOn, startFleet, UID_STARTS, type TestFleet } from './fleet-harness.js';

let fleet: TestFleet;
beforeAll(async () => { fleet = await startFleet([{}, {}, {}]); }, 180_000);
afterAll(async () => { await fleet?.stop(); }, 60_000);

const until = async (f: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('a fleet of three daemons', () => {
  it('runs the same id sent to two replicas at once exactly once, 50 times, and refuses another request under it everywhere', async () => {
    const [a, b] = fleet.members.map((m) => m.client);
    const ids = Array.from({ length: 50 }, (_, i) => `dup-${i}`);
    const pairs = await Promise.all(ids.map((id, i) => Promise.all([a!.executeTask(sleepTask(id, i, 20)), b!.executeTask(sleepTask(id, i, 20))])));
    for (const [x, y] of pairs) {
      expect(x.status).toBe('COMPLETED');
      expect(y).toEqual(x);
    }
    const starts = startedOn(fleet.members);
    for (const id of ids) expect(starts.get(id)?.length, id).toBe(1);
    for (const m of fleet.members) {
      const e = await m.client.executeTask(sleepTask('dup-0', 999, 20)).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(AriRpcError);
      expect((e as AriRpcError).code).toBe('ALREADY_EXISTS');
    }
  }, 120_000);

  it('answers GetTask on every replica with the same outcome', async () => {
    const done = await fleet.members[2]!.client.executeTask(sleepTask('everywhere', 1, 10));
    for (const m of fleet.members) expect(await m.client.getTask('everywhere')).toEqual(done);
  }, 60_000);

  it('reports the fleet in GetHealth on every replica: all three members live, with free slots, and the fleet queue', async () => {
    for (const m of fleet.members) {
      let h = await m.client.getHealth();
      // membership is written by heartbeats: give a just-started member one round to see the others
      for (let i = 0; i < 50 && (h.fleet?.members.filter((x) => x.live).length ?? 0) < 3; i++) {
        await new Promise((r) => setTimeout(r, 200));
        h = await m.client.getHealth();
      }
      expect(h.fleet, 'GetHealth of a fleet member carries the fleet').toBeTruthy();
      expect(h.fleet!.store_reachable).toBe(true);
      expect(h.fleet!.members.filter((x) => x.live)).toHaveLength(3);
      expect(h.fleet!.members.map((x) => x.daemon_id)).toContain(h.fleet!.daemon_id);
      for (const x of h.fleet!.members.filter((y) => y.live)) {
        expect(Number(x.heartbeat_ms)).toBeGreaterThan(Date.now() - 60_000);
        expect(Object.keys(x.free_slots)).toContain('native');
      }
      expect(Object.keys(h.fleet!.queue_depth).length).toBeGreaterThan(0);
    }
  }, 60_000);

  it('streams on replica 1 a task running on replica 3 to its result', async () => {
    const submitted = await fleet.members[2]!.client.submitTask(sleepTask('streamed', 1, 1_500));
    expect(submitted.status).toBe('RUNNING'); // replica 3 had a free slot: it took the task at once
    const seen: WireTaskUpdate[] = [];
    for await (const u of fleet.members[0]!.client.streamUpdates('streamed')) seen.push(u);
    expect(seen.at(-1)).toMatchObject({ status: 'COMPLETED' });
    expect(startedOn(fleet.members).get('streamed')).toEqual([2]);
  }, 60_000);

  it('cancels through replica 2 a task running on replica 1', async () => {
    const first = fleet.members[0]!.client;
    await first.submitTask(sleepTask('cancelled', 1, 60_000));
    await until(async () => (await first.getTask('cancelled')).status === 'RUNNING', 10_000);
    const t0 = Date.now();
    const r = await fleet.members[1]!.client.cancelTask('cancelled');
    expect(r.status).toBe('CANCELLED');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(startedOn(fleet.members).get('cancelled')).toEqual([0]);
    expect((await fleet.members[2]!.client.getTask('cancelled')).status).toBe('CANCELLED');
  }, 60_000);

  it('balances one client over all replicas with round_robin', async () => {
    const client = fleet.balanced();
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => client.executeTask(sleepTask(`rr-${i}`, i, 10))));
    expect(rs.every((r) => r.status === 'COMPLETED')).toBe(true);
    const received = new Set<number>();
    for (const m of fleet.members) {
      if (m.logs().some((l) => typeof l.task_id === 'string' && l.task_id.startsWith('rr-'))) received.add(m.index);
    }
    expect(received.size).toBeGreaterThan(1);
    client.close();
  }, 60_000);

  it('refuses a daemon whose native uid range overlaps a live member, and reports a differing manifest at start', async () => {
    const base = fleet.members[0]!.toml.replace(/\npath = .*\n/, '\n');
    const overlapping = base.replace(`uid_start = ${UID_STARTS[0]}`, `uid_start = ${UID_STARTS[0]! + 8}`);
    const e = await startChildDaemon(mkdtempSync(join(tmpdir(), 'ari-fleet-x-')), overlapping, { readyTimeoutMs: 90_000 }).catch((err: Error) => err);
    expect(String(e)).toMatch(/native sandbox uids 2400008\+16 overlap those of live daemon .* set a distinct \[runtimes.native\] uid_start/);
    const differing = base.replace(`uid_start = ${UID_STARTS[0]}`, 'uid_start = 2700000').replace('id = "sleep"', 'id = "sleep"\nenv = { MODE = "other" }');
    const d = await startChildDaemon(mkdtempSync(join(tmpdir(), 'ari-fleet-y-')), differing, { readyTimeoutMs: 90_000 });
    try {
      expect(d.logs.some((l) => /agent "sleep" differs on daemon /.test(l.msg))).toBe(true);
    } finally {
      await d.kill('SIGTERM');
    }
  }, 120_000);
});
