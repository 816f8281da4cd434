// Issue 14 through a real daemon (real gRPC): loops of large bulk operations in core modules and a component end
// TIMEOUT / CANCELLED on time while a good task is served beside them; table and iovec bombs stay bounded; a
// drain with such a task running ends within the grace. Bounds are generous; conformance measures the overshoot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { bulkFinite, bulkLoop, componentBulkCore, iovecBomb, tableBomb } from './bulk-modules.js';
import { componentFile } from './component-build.js';
import { rssGrowth } from './rss-probe.js';
import { watFile } from './wat.js';

const MIB = 1024 * 1024;
const SANITY_MS = 1000;

const agent = (id: string, file: string, limits = '') =>
  `[[agents]]\nid = "${id}"\nruntime = "wasm"\nmodule = "${file}"\nmanifest = "{{FIXTURES}}/wasm-hostile/manifest.json"\n[agents.limits]\ntimeout_ms = "60s"\nmemory_bytes = "160MiB"\n${limits}\n`;

let d: TestDaemon;
beforeAll(async () => {
  const files = {
    fill: await watFile('d-fill', bulkLoop('fill', 32)),
    copy: await watFile('d-copy', bulkLoop('copy', 128)),
    component: await componentFile('d-component-fill', componentBulkCore('fill', 32)),
    tables: await watFile('d-tables', tableBomb(400, 100_000)),
    iovecs: await watFile('d-iovecs', iovecBomb(1, 1 << 20)),
    finite: await watFile('d-finite', bulkFinite(8, 10)),
  };
  const toml = `
[server]
shutdown_grace = "300ms"
[runtimes.wasm]
workers = 2
concurrency = 3
queue = 16
[[agents]]
id = "math"
runtime = "wasm"
module = "{{FIXTURES}}/math/math.wasm"
manifest = "{{FIXTURES}}/math/manifest.json"
${Object.entries(files).map(([id, f]) => agent(id, f)).join('')}`;
  d = await startTestDaemon(toml);
  // Boot both workers before any clock starts.
  await Promise.all([math(), math()]);
}, 60_000);
afterAll(async () => { await d?.stop(); });

const math = () => d.client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":"multiply","operands":[7,6]}' });
const run = (agentId: string, limits: Record<string, number> = {}, taskId?: string) =>
  d.client.executeTask({ agent_id: agentId, capability: 'run', input: '{}', limits, ...(taskId ? { task_id: taskId } : {}) });

describe('bulk-operation loops through the daemon', () => {
  it.each(['fill', 'copy', 'component'])('%s: TIMEOUT soon after a 300 ms deadline', async (id) => {
    const t0 = Date.now();
    const r = await run(id, { timeout_ms: 300 });
    expect(r.status, r.error?.message).toBe('TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(300 + 2 * SANITY_MS);
    expect(Number(r.usage!.wall_ms)).toBeLessThan(300 + SANITY_MS);
  }, 30_000);

  it('fuel_consumed counts the bytes touched: 10 fills of 8 MiB cost at least 80 MiB / 16', async () => {
    const r = await run('finite', { memory_bytes: 16 * MIB });
    expect(r.status, r.error?.message).toBe('COMPLETED');
    expect(Number(r.usage!.fuel_consumed)).toBeGreaterThanOrEqual(10 * 8 * MIB / 16);
  });

  it('two hostile loops on both workers do not hold back a good task beyond their deadline', async () => {
    const t0 = Date.now();
    const hostile = [run('fill', { timeout_ms: 400 }), run('component', { timeout_ms: 400 })];
    await new Promise((r) => setTimeout(r, 50));
    const good = await math();
    expect(good.status).toBe('COMPLETED');
    expect(json(good.output)).toEqual({ result: 42 });
    expect(Date.now() - t0).toBeLessThan(400 + 2 * SANITY_MS);
    expect((await Promise.all(hostile)).map((r) => r.status)).toEqual(['TIMEOUT', 'TIMEOUT']);
  }, 30_000);

  it('CancelTask ends a running fill loop CANCELLED soon after', async () => {
    const submitted = await d.client.submitTask({ agent_id: 'copy', capability: 'run', input: '{}', task_id: 'bulk-cancel', limits: { timeout_ms: 60_000 } });
    expect(submitted.task_id).toBe('bulk-cancel');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await d.client.cancelTask('bulk-cancel');
    let status = '';
    while (Date.now() - t0 < 5000 && status !== 'CANCELLED') {
      status = (await d.client.getTask('bulk-cancel')).status;
      if (status !== 'CANCELLED') await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('CANCELLED');
    expect(Date.now() - t0).toBeLessThan(SANITY_MS);
    expect((await math()).status).toBe('COMPLETED');
  }, 30_000);
});

describe('memory bombs through the daemon (daemon RSS measured: it runs in this process)', () => {
  it('400 tables × 100k elements under a 16 MiB limit: OUT_OF_MEMORY, RSS growth < 64 MiB during and after', async () => {
    const { value: r, peakMiB, afterMiB } = await rssGrowth(() => run('tables', { memory_bytes: 16 * MIB }));
    expect(r.status).toBe('OUT_OF_MEMORY');
    expect(r.error?.message).toMatch(/tables/);
    expect(peakMiB).toBeLessThan(64);
    expect(afterMiB).toBeLessThan(64);
  });

  it('fd_write with 1M iovecs in a loop: EINVAL each time, ended by a limit, RSS growth < 64 MiB', async () => {
    const { value: r, peakMiB, afterMiB } = await rssGrowth(() => run('iovecs', { timeout_ms: 500, memory_bytes: 16 * MIB }));
    expect(['TIMEOUT', 'OUT_OF_FUEL']).toContain(r.status);
    expect(peakMiB).toBeLessThan(64);
    expect(afterMiB).toBeLessThan(64);
  });
});

describe('shutdown with a bulk loop running', () => {
  it('drains within the grace plus a sanity bound, the task ending CANCELLED or TIMEOUT', async () => {
    const running = run('fill', { timeout_ms: 60_000 }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await d.stop();
    expect(Date.now() - t0).toBeLessThan(300 + 2000 + 2 * SANITY_MS);
    const r = await running;
    // The RPC may be cut by the server's own stop; when an answer came, it is a kill, never COMPLETED.
    if (!(r instanceof Error)) expect(['CANCELLED', 'TIMEOUT']).toContain(r.status);
  }, 30_000);
});
