// The seed's load test on a real `ari serve`: 100 clients × 50 mixed math tasks across wasm and native, all
// correct; reports throughput and p50/p99; the daemon's RSS after the load stays within 50 MB of before.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeLoad, loadDaemonToml, runMathLoad } from '../../bench/load.js';
import { startChildDaemon, type ChildDaemon } from './child-daemon.js';

const MiB = 2 ** 20;
let daemon: ChildDaemon | undefined;
afterAll(async () => { await daemon?.kill('SIGKILL'); });

const settle = () => new Promise((r) => setTimeout(r, 2000));

describe('load: 100 clients × 50 tasks', () => {
  it('completes every task correctly and gives back its memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ari-load-'));
    daemon = await startChildDaemon(dir, loadDaemonToml({ uidStart: 2_200_000, storage: join(dir, 'data') }));
    const connect = () => daemon!.client();
    // Warm up at the same concurrency as the run (worker threads, compiled module, native spawns, 100 channels and
    // their buffers, spare instances) before taking the baseline: growth to that steady state is not a leak.
    const warm = await runMathLoad(connect, { clients: 100, tasksPerClient: 5, agents: ['math', 'math-native'], runId: 'warm' });
    expect(warm.wrong.concat(warm.refused)).toEqual([]);
    await settle();
    const before = daemon.rssBytes();
    const r = await runMathLoad(connect, { clients: 100, tasksPerClient: 50, agents: ['math', 'math-native'] });
    await settle();
    const after = daemon.rssBytes();
    console.log(`load: ${describeLoad(r)}; daemon RSS ${(before / MiB).toFixed(1)} MiB → ${(after / MiB).toFixed(1)} MiB`);
    expect(r.refused.slice(0, 5)).toEqual([]);
    expect(r.wrong.slice(0, 5)).toEqual([]);
    expect(r.completed).toBe(5000);
    expect(after - before).toBeLessThan(50 * 1e6);
    const stopped = await daemon.kill('SIGTERM');
    expect(stopped.code).toBe(0);
    daemon = undefined;
  }, 480_000); // 150–180 s on this 2-core VM beside a busy core: the bound is for a hang, not for speed
});
