// The pooled path: pre-started containers answer tasks, each container serves one task only, close() removes them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { LIMIT_KEYS } from '../../src/contract/limits.js';
import { containersOf, drained, engine, hostileAgent, hostileTask, LIMITS, mathAgent, mathTask, never, requireEngine } from './docker-harness.js';

const DAEMON = `test-pool-${process.pid}`;
const agent = mathAgent({ pool: 2 });
let rt: DockerRuntime;

async function pooled(): Promise<string[]> {
  return (await engine.listByLabel(`ari.daemon=${DAEMON}`)).filter((c) => c.labels['ari.task'] === '(pool)').map((c) => c.id);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

beforeAll(async () => {
  await requireEngine();
  rt = new DockerRuntime({ daemonId: DAEMON, agentLimits: () => LIMITS });
  await rt.start();
  await rt.prepare(agent);
  await rt.pool(agent.id)!.filled();
});
afterAll(async () => { await rt?.close(); });

describe('docker pool', () => {
  it('is filled at prepare() with pre-started containers', async () => {
    expect(rt.pool(agent.id)!.readyCount).toBe(2);
    expect(await pooled()).toHaveLength(2);
  });

  it('serves tasks from the pool and never reuses a container', async () => {
    const used = new Set<string>();
    for (let i = 0; i < 4; i++) {
      await rt.pool(agent.id)!.filled();
      const before = new Set(await pooled());
      const r = await rt.execute(agent, mathTask('add', [i, 1]), never());
      expect(r.status).toBe('COMPLETED');
      expect(r.output).toEqual({ result: i + 1 });
      let after = new Set(await pooled());
      // The served container is removed just after the answer (off its path).
      for (let w = 0; w < 100 && [...before].every((id) => after.has(id)); w++) {
        after = await new Promise((res) => setTimeout(res, 50)).then(async () => new Set(await pooled()));
      }
      const gone = [...before].filter((id) => !after.has(id));
      expect(gone).toHaveLength(1); // the one that served this task, removed
      expect(used.has(gone[0])).toBe(false);
      used.add(gone[0]);
      expect(await engine.listByLabel(`ari.daemon=${DAEMON}`).then((l) => l.map((c) => c.id))).not.toContain(gone[0]);
    }
    expect(used.size).toBe(4);
  });

  it('takes the cold path when a task\'s limits differ from the pool\'s', async () => {
    await rt.pool(agent.id)!.filled();
    const before = (await pooled()).sort();
    const r = await rt.execute(agent, mathTask('multiply', [6, 7], { memoryBytes: 48 * 1024 ** 2 }), never());
    expect(r.output).toEqual({ result: 42 });
    expect((await pooled()).sort()).toEqual(before);
  });

  it.each(LIMIT_KEYS)('takes the cold path when only %s differs from the pool\'s limits (the key is every limit)', async (key) => {
    await rt.pool(agent.id)!.filled();
    const before = (await pooled()).sort();
    const r = await rt.execute(agent, mathTask('add', [2, 3], { [key]: LIMITS[key] + 1 }), never());
    expect(r.output).toEqual({ result: 5 });
    expect((await pooled()).sort()).toEqual(before);
  });

  it('answers faster pooled than cold (p50)', async () => {
    const cold = mathAgent({ id: 'math-cold', pool: 0 });
    const pooledMs: number[] = [];
    const coldMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      await rt.pool(agent.id)!.filled();
      let t = performance.now();
      await rt.execute(agent, mathTask('add', [1, 2]), never());
      pooledMs.push(performance.now() - t);
      t = performance.now();
      await rt.execute(cold, mathTask('add', [1, 2]), never());
      coldMs.push(performance.now() - t);
    }
    expect(median(pooledMs)).toBeLessThan(median(coldMs));
  });

  it('removes the pooled containers on close()', async () => {
    await rt.close();
    expect(await containersOf(DAEMON)).toEqual([]);
  });

  it('leaves no container when closed right after a TIMEOUT answer (removal is off the answer path, not lost)', async () => {
    const r2 = new DockerRuntime({ daemonId: `${DAEMON}-late`, agentLimits: () => LIMITS });
    await r2.start();
    const hostile = hostileAgent();
    await r2.prepare(hostile);
    const [timedOut, done] = await Promise.all([
      r2.execute(hostile, hostileTask('sleep', { seconds: 60 }, { timeoutMs: 800 }), never()),
      r2.execute(hostile, hostileTask('ok'), never()),
    ]);
    expect(timedOut.status).toBe('TIMEOUT');
    expect(done.status).toBe('COMPLETED');
    await r2.close();
    expect(await containersOf(`${DAEMON}-late`)).toEqual([]);
    expect(await drained(DAEMON)).toEqual([]);
  });
});
