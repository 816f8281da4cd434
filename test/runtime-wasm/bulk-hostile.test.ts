// Issue 14 on the in-process runtime with real wasm: loops of large bulk operations, stuck workers, CPU budgets,
// table and iovec bombs. Bounds here are generous sanity checks; the precise overshoot is `ari conformance`'s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WasmAgentSpec } from '../../src/runtimes/wasm/agent-spec.js';
import type { Limits } from '../../src/contract/limits.js';
import { AgentLoadError } from '../../src/runtimes/runtime.js';
import { WasmRuntime } from '../../src/runtimes/wasm/host/wasm-runtime.js';
import { bulkFinite, bulkLoop, componentBulkCore, iovecBomb, tableBomb, tableGrowBomb } from './bulk-modules.js';
import { componentFile } from './component-build.js';
import * as M from './modules.js';
import { rssGrowth } from './rss-probe.js';
import { agentFor, taskFor, watFile } from './wat.js';

const MIB = 1024 * 1024;
/**
 * Generous: a loaded 2-core host must not break it. The promise (deadline + 100 ms for a running worker, + 500 ms
 * for one the host starves of CPU) is measured in conformance.
 */
const SANITY_MS = 1000;
const runtime = new WasmRuntime({ workers: 2, maxMemoryBytes: 1024 * MIB });

async function agent(id: string, wat: string): Promise<WasmAgentSpec> {
  const a = agentFor(id, await watFile(id, wat));
  await runtime.prepare(a);
  return a;
}

async function timed(a: WasmAgentSpec, limits: Partial<Limits>, signal = new AbortController().signal) {
  const t0 = Date.now();
  const r = await runtime.execute(a, taskFor(a, {}, { fuel: 1e12, cpuMillis: 60_000, memoryBytes: 200 * MIB, ...limits }), signal);
  return { ...r, elapsed: Date.now() - t0 };
}

beforeAll(async () => {
  await runtime.start();
  // Both workers booted before any clock starts (a worker's first start under tsx takes ~1 s on a loaded host).
  const echo = await agent('echo-warm', M.SEED_ECHO);
  await Promise.all([timed(echo, {}), timed(echo, {})]);
}, 30_000);
afterAll(async () => {
  await runtime.close();
});

describe('loops of large bulk operations (never tiered up)', () => {
  it.each([['fill', 8], ['fill', 32], ['fill', 128], ['copy', 8], ['copy', 64]] as const)(
    'memory.%s of %i MiB in 64 function copies: TIMEOUT soon after the deadline',
    async (op, mib) => {
      const a = await agent(`${op}-${mib}`, bulkLoop(op, mib));
      const r = await timed(a, { timeoutMs: 200, memoryBytes: (mib + 2) * MIB + MIB });
      expect(r.status, r.error?.message).toBe('TIMEOUT');
      expect(r.usage.wallMs).toBeLessThan(200 + SANITY_MS);
    },
  );

  it.each([['fill', 32], ['copy', 16]] as const)('a component running memory.%s loops of %i MiB: TIMEOUT on time, CANCELLED on time', async (op, mib) => {
    const a = agentFor(`component-${op}`, await componentFile(`component-${op}`, componentBulkCore(op, mib)));
    await runtime.prepare(a);
    const r = await timed(a, { timeoutMs: 200, memoryBytes: (mib + 4) * MIB });
    expect(r.status, r.error?.message).toBe('TIMEOUT');
    expect(r.usage.wallMs).toBeLessThan(200 + SANITY_MS);
    const ac = new AbortController();
    const cancelled = timed(a, { timeoutMs: 60_000, memoryBytes: (mib + 4) * MIB }, ac.signal);
    await new Promise((res) => setTimeout(res, 150));
    const abortedAt = Date.now();
    ac.abort();
    expect((await cancelled).status).toBe('CANCELLED');
    expect(Date.now() - abortedAt).toBeLessThan(SANITY_MS);
  }, 30_000);

  it('charges fuel by bytes touched: 10 fills of 8 MiB cost at least 80 MiB / 16', async () => {
    const r = await timed(await agent('finite-fill', bulkFinite(8, 10)), { timeoutMs: 10_000, memoryBytes: 16 * MIB });
    expect(r.status, r.error?.message).toBe('COMPLETED');
    expect(r.usage.fuelConsumed).toBeGreaterThanOrEqual(10 * 8 * MIB / 16);
    const small = await timed(await agent('finite-fill-budget', bulkFinite(8, 10)), { fuel: 1_000_000, memoryBytes: 16 * MIB });
    expect(small.status).toBe('OUT_OF_FUEL');
    expect(small.usage.fuelConsumed).toBe(1_000_000);
  });

  it('CANCELLED soon after the cancel, and a good task on the same backend is answered meanwhile', async () => {
    const a = await agent('fill-cancel', bulkLoop('fill', 64));
    const echo = await agent('echo-beside', M.SEED_ECHO);
    const ac = new AbortController();
    const done = (r: Awaited<ReturnType<typeof timed>>) => ({ ...r, doneAt: Date.now() });
    const hostile = [timed(a, { timeoutMs: 60_000, memoryBytes: 70 * MIB }, ac.signal).then(done), timed(a, { timeoutMs: 400, memoryBytes: 70 * MIB })];
    await new Promise((r) => setTimeout(r, 150));
    const abortedAt = Date.now();
    ac.abort();
    const good = await timed(echo, { timeoutMs: 5000 });
    expect(good.status).toBe('COMPLETED');
    expect(good.elapsed).toBeLessThan(400 + SANITY_MS);
    const [cancelled, timedOut] = await Promise.all(hostile);
    expect(cancelled.status).toBe('CANCELLED');
    expect((cancelled as ReturnType<typeof done>).doneAt - abortedAt).toBeLessThan(SANITY_MS);
    expect(timedOut.status).toBe('TIMEOUT');
  });

  it('enforces cpu_millis on a fill loop (CPU_LIMIT from the worker thread clock)', async () => {
    const r = await timed(await agent('fill-cpu', bulkLoop('fill', 32)), { timeoutMs: 10_000, cpuMillis: 150, memoryBytes: 40 * MIB });
    expect(r.status, r.error?.message).toBe('CPU_LIMIT');
    expect(r.usage.cpuMs).toBeGreaterThanOrEqual(150);
    expect(r.elapsed).toBeLessThan(150 + 4 * SANITY_MS);
  });
});

describe('tables and iovecs count against memory (RSS measured in this process)', () => {
  it('refuses at load a module whose declared tables pass the operator ceiling, naming the table', async () => {
    const a = agentFor('table-bomb-load', await watFile('table-bomb-load', tableBomb(400, 100_000)));
    const { value, peakMiB } = await rssGrowth(() => runtime.prepare(a).then(() => null, (e: unknown) => e));
    expect(value).toBeInstanceOf(AgentLoadError);
    expect(String((value as Error).message)).toMatch(/table/);
    expect(peakMiB).toBeLessThan(64);
  });

  it('ends OUT_OF_MEMORY before instantiating tables past the task limit, RSS growth < 64 MiB during and after', async () => {
    const a = await agent('table-bomb-task', tableBomb(30, 100_000));
    const { value: r, peakMiB, afterMiB } = await rssGrowth(() => timed(a, { timeoutMs: 5000, memoryBytes: 16 * MIB }));
    expect(r.status).toBe('OUT_OF_MEMORY');
    expect(r.error?.message).toMatch(/tables/);
    expect(peakMiB).toBeLessThan(64);
    expect(afterMiB).toBeLessThan(64);
  });

  it('keeps no table-heavy spare instances idle: RSS after six runs of a 64 MB-table module stays < 64 MiB above baseline', async () => {
    const a = await agent('table-heavy-repeat', tableBomb(20, 100_000));
    const { value: results, afterMiB } = await rssGrowth(async () => {
      const out = [];
      for (let i = 0; i < 6; i++) out.push(await timed(a, { memoryBytes: 128 * MIB }));
      return out;
    }, 1000);
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('COMPLETED'));
    expect(results[0]!.usage.peakMemoryBytes).toBeGreaterThan(20 * 100_000 * 8);
    expect(afterMiB).toBeLessThan(64);
  });

  it('counts tables in peak_memory_bytes', async () => {
    const r = await timed(await agent('table-small', tableBomb(2, 10_000)), { memoryBytes: 16 * MIB });
    expect(r.status).toBe('COMPLETED');
    expect(r.usage.peakMemoryBytes).toBeGreaterThan(2 * 10_000 * 8 + 65536);
  });

  it('a table.grow loop ends at the cap without passing the memory limit', async () => {
    const { value: r, peakMiB } = await rssGrowth(() => timed(runtimeAgent.tableGrow!, { timeoutMs: 5000, memoryBytes: 16 * MIB }));
    expect(['OUT_OF_MEMORY', 'FAILED']).toContain(r.status);
    expect(peakMiB).toBeLessThan(64);
  });

  it.each([
    ['1M zero-length iovecs (EINVAL, spins)', 1, 1 << 20, 0],
    ['1024 zero-length iovecs per call', 1, 1024, 0],
    ['1024 one-byte stdout iovecs per call', 1, 1024, 1],
    ['1024 stderr iovecs of 64 KiB per call', 2, 1024, 65536],
  ] as const)('an fd_write loop of %s stays bounded: RSS growth < 64 MiB, ended by a limit', async (_name, fd, count, len) => {
    const a = await agent(`iovec-${fd}-${count}-${len}`, iovecBomb(fd, count, len));
    const { value: r, peakMiB, afterMiB } = await rssGrowth(() => timed(a, { timeoutMs: 500, memoryBytes: 32 * MIB, outputBytes: MIB }));
    expect(['TIMEOUT', 'OUT_OF_FUEL', 'OUTPUT_LIMIT']).toContain(r.status);
    expect(r.elapsed).toBeLessThan(500 + SANITY_MS);
    expect(r.usage.fuelConsumed).toBeGreaterThan(count * 16);
    expect(peakMiB).toBeLessThan(64);
    expect(afterMiB).toBeLessThan(64);
  });
});

describe('a worker its own checks cannot reach (instantiating ~320 MB of tables)', () => {
  it('is abandoned at the deadline + bound: TIMEOUT on time, worker replaced, a good task answered meanwhile', async () => {
    const big = await agent('slow-instantiate', tableBomb(100, 100_000));
    const echo = await agent('echo-after-stuck', M.SEED_ECHO);
    const replaced = runtime.replacedWorkers();
    const stuck = timed(big, { timeoutMs: 50, memoryBytes: 900 * MIB });
    const good = await timed(echo, { timeoutMs: 5000 });
    expect(good.status).toBe('COMPLETED');
    const r = await stuck;
    expect(r.status).toBe('TIMEOUT');
    expect(r.elapsed).toBeLessThan(50 + SANITY_MS);
    expect(runtime.replacedWorkers()).toBe(replaced + 1);
    // Both workers serve again (the replacement has booted).
    const after = await Promise.all([timed(echo, { timeoutMs: 5000 }), timed(echo, { timeoutMs: 5000 })]);
    expect(after.map((x) => x.status)).toEqual(['COMPLETED', 'COMPLETED']);
  });
});

const runtimeAgent: { tableGrow?: WasmAgentSpec } = {};
beforeAll(async () => {
  runtimeAgent.tableGrow = await agent('table-grow', tableGrowBomb(1000));
});

describe('shutdown with a busy worker', () => {
  it('close() answers the running task CANCELLED and returns promptly', async () => {
    const rt = new WasmRuntime({ workers: 1, maxMemoryBytes: 256 * MIB });
    await rt.start();
    const a = agentFor('fill-close', await watFile('fill-close', bulkLoop('fill', 64)));
    await rt.prepare(a);
    const running = rt.execute(a, taskFor(a, {}, { timeoutMs: 60_000, memoryBytes: 70 * MIB, fuel: 1e12, cpuMillis: 60_000 }), new AbortController().signal);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await rt.close();
    expect(Date.now() - t0).toBeLessThan(SANITY_MS + 500);
    expect((await running).status).toBe('CANCELLED');
  });
});
