// Each limit breach in a real sandbox ends in its own status: TIMEOUT, OUT_OF_MEMORY, CPU_LIMIT, OUTPUT_LIMIT; FSIZE and pids contain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { hostile, MATH, processesOfUids, run, sleep, startRuntime } from './native-helpers.js';

const UIDS: [number, number] = [2_120_000, 8];
const TMPFS = 8 << 20;
let rt: NativeRuntime;
beforeAll(async () => { rt = await startRuntime({ uidRange: UIDS, tmpfsBytes: TMPFS }); });
afterAll(async () => { await rt?.close(); });

describe('native limits', () => {
  it('TIMEOUT: a sleeper is killed and reported soon after the deadline (generous bound: a loaded host)', async () => {
    for (const timeoutMs of [300, 1000]) {
      const started = performance.now();
      const r = await hostile(rt, { mode: 'sleep', seconds: 60 }, { timeoutMs });
      const elapsed = performance.now() - started;
      expect(r.status).toBe('TIMEOUT');
      expect(r.error?.code).toBe('TIMEOUT');
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs);
      expect(elapsed).toBeLessThan(timeoutMs + 1000); // precision is measured by `ari conformance`, not asserted here
    }
  });

  it('OUT_OF_MEMORY: the memory cgroup stops a hog at the limit', async () => {
    const memoryBytes = 32 << 20;
    const r = await hostile(rt, { mode: 'memory', mb: 512 }, { memoryBytes });
    expect(r.status).toBe('OUT_OF_MEMORY');
    expect(r.error?.code).toBe('OUT_OF_MEMORY');
    expect(r.usage.peakMemoryBytes).toBeGreaterThan(memoryBytes * 0.8);
    expect(r.usage.peakMemoryBytes).toBeLessThanOrEqual(memoryBytes);
  });

  it('a task under its memory limit completes', async () => {
    const r = await hostile(rt, { mode: 'memory', mb: 8 }, { memoryBytes: 64 << 20 });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toEqual({ allocated_mb: 8 });
  });

  it('CPU_LIMIT: a spinner is stopped once it used its CPU time, before its timeout', async () => {
    const r = await hostile(rt, { mode: 'spin' }, { cpuMillis: 300, timeoutMs: 10_000 });
    expect(r.status).toBe('CPU_LIMIT');
    expect(r.usage.cpuMs).toBeGreaterThanOrEqual(300);
    expect(r.usage.wallMs).toBeLessThan(5_000);
  });

  it('the fork bomb is contained by pids while a concurrent good task completes', async () => {
    const pids = 16;
    const bomb = hostile(rt, { mode: 'forkbomb' }, { pids, timeoutMs: 3000, cpuMillis: 60_000 });
    let most = 0;
    const good = [];
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      most = Math.max(most, processesOfUids(...UIDS).length);
      good.push(await run(rt, MATH, 'arithmetic', { operation: 'add', operands: [20, 22] }, { timeoutMs: 5000 }));
      await sleep(50);
    }
    const r = await bomb;
    // Held by pids, the bomb spins until the deadline; its kernel memory can trip the memory cgroup first.
    expect(['TIMEOUT', 'OUT_OF_MEMORY']).toContain(r.status);
    expect(good.length).toBeGreaterThan(3);
    for (const g of good) expect(g.output).toEqual({ result: 42 });
    // the bomb's pids limit plus bwrap's monitor, plus the good task's own processes
    expect(most).toBeLessThanOrEqual(pids + 2 + 2);
  });

  it('FSIZE stops a 100 MB write with EFBIG (the agent keeps running and reports it)', async () => {
    const r = await hostile(rt, { mode: 'write', mb: 100 });
    expect(r.status).toBe('COMPLETED');
    const out = r.output as { written: number; errno: number };
    expect(out.errno).toBe(27); // EFBIG: the rlimit, not ENOSPC from the tmpfs
    expect(out.written).toBeLessThanOrEqual(TMPFS);
  });

  it('OUTPUT_LIMIT: a stdout flood is cut at the cap and killed', async () => {
    const r = await hostile(rt, { mode: 'flood' }, { outputBytes: 32 * 1024 });
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(r.error?.code).toBe('OUTPUT_LIMIT');
    expect(r.usage.outputBytes).toBeGreaterThan(32 * 1024);
  });
});
