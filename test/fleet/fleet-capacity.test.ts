// Load follows free capacity, not the receiving replica: 300 sleep tasks all sent to replica 1 of a 1/2/4-slot fleet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleepTask, startedOn, startFleet, type TestFleet } from './fleet-harness.js';

let fleet: TestFleet;
/** Nobody is killed here: a lease a busy 2-core host cannot miss (3 s renewals were late beside a spinning core). */
const CAPACITY_LEASE_MS = 15_000;
beforeAll(async () => { fleet = await startFleet([1, 2, 4].map((n) => ({ nativeConcurrency: n, leaseMs: CAPACITY_LEASE_MS }))); }, 180_000);
afterAll(async () => { await fleet?.stop(); }, 60_000);

describe('fleet capacity', () => {
  it('spreads tasks sent to one replica over the fleet in the order of each replica\'s free slots', async () => {
    const first = fleet.members[0]!.client;
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 300 }, (_, i) => first.executeTask(sleepTask(`cap-${i}`, i, 200))));
    const seconds = (Date.now() - t0) / 1000;
    expect(rs.filter((r) => r.status !== 'COMPLETED').map((r) => `${r.task_id} ${r.status} ${r.error?.code ?? ''} ${r.error?.message ?? ''}`).slice(0, 5)).toEqual([]);
    const share = [0, 0, 0];
    for (const [id, on] of startedOn(fleet.members)) {
      if (!id.startsWith('cap-')) continue;
      expect(on, id).toHaveLength(1);
      share[on[0]!]!++;
    }
    console.log(`capacity 1/2/4: shares ${share.join('/')} of 300 in ${seconds.toFixed(1)} s`);
    expect(share.reduce((a, b) => a + b)).toBe(300);
    expect(share[0]).toBeLessThan(share[1]!);
    expect(share[1]).toBeLessThan(share[2]!);
  }, 180_000);
});
