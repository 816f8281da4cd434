// Idle pools cost ~0 CPU: an agent that spins before reading its task is struck, not refilled in a loop, and reported in health.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { agent, cgroupDirsOf, CONTAIN_BIN, LIMITS, MATH, processesOfUids, sleep, startRuntime } from './native-helpers.js';

const UIDS: [number, number] = [2_100_016, 4]; // this file's share of the helper range 2_100_000+64
const SPINNER = agent('spinner', CONTAIN_BIN, { command: [CONTAIN_BIN, 'spin-idle'], pool: 2 });
const QUIET = { ...MATH, id: 'math-pooled', pool: 1 };
const WINDOW_MS = 10_000;

/**
 * CPU used so far by everything this process's runtime ever ran: the subtree's cpuacct counter is charged on the
 * fly, so it keeps the time of task cgroups already removed.
 */
function subtreeCpuMs(): number {
  for (const d of cgroupDirsOf(process.pid)) {
    if (existsSync(join(d, 'cpuacct.usage'))) return Number(readFileSync(join(d, 'cpuacct.usage'), 'utf8')) / 1e6;
    if (existsSync(join(d, 'cgroup.controllers'))) { // cgroup v2
      const m = /^usage_usec (\d+)/m.exec(readFileSync(join(d, 'cpu.stat'), 'utf8'));
      if (m) return Number(m[1]) / 1e3;
    }
  }
  throw new Error('no CPU accounting for the runtime\'s cgroup subtree (cgroup v1 cpuacct or cgroup v2 cpu.stat needed)');
}

let rt: NativeRuntime;
beforeAll(async () => { rt = await startRuntime({ uidRange: UIDS, agentLimits: () => LIMITS }); });
afterAll(async () => { await rt?.close(); });

describe('idle native pools', () => {
  it(`a pooled agent spinning before its task costs < 5% of a core over ${WINDOW_MS / 1000} s, is stopped and reported; a quiet pool stays`, async () => {
    const before = subtreeCpuMs();
    const started = performance.now();
    await rt.prepare(QUIET);
    await rt.prepare(SPINNER);
    await sleep(WINDOW_MS);
    const spentMs = subtreeCpuMs() - before;
    const share = spentMs / (performance.now() - started);
    console.log(`idle pools: ${spentMs.toFixed(0)} ms CPU in ${WINDOW_MS} ms (${(share * 100).toFixed(1)}% of a core), spinner strikes ${rt.pool(SPINNER.id)!.strikes}`);
    expect(share).toBeLessThan(0.05);

    const spinner = rt.pool(SPINNER.id)!;
    expect(spinner.stopped).toMatch(/ms of CPU before its task/);
    expect(spinner.readyCount).toBe(0);
    const h = await rt.health();
    expect(h.available).toBe(true);
    expect(h.features['pool:spinner']).toBe('stopped');
    expect(h.reason).toMatch(/agent "spinner": a pre-started sandbox used \d+ ms of CPU before its task/);

    const quiet = rt.pool(QUIET.id)!;
    expect(quiet.strikes).toBe(0);
    expect(quiet.readyCount).toBe(1);
    expect(h.features['pool:math-pooled']).toBeUndefined();
    // nothing of the spinner is left: only the quiet pool's sandbox holds a uid
    for (let i = 0; i < 40 && processesOfUids(...UIDS).length > 2; i++) await sleep(50);
    expect(processesOfUids(...UIDS).length).toBeLessThanOrEqual(2); // bwrap's monitor and the math agent
  }, 30_000);

  it('the stopped agent still runs its tasks, cold', async () => {
    const echo = agent('quiet-echo', CONTAIN_BIN, { pool: 0 });
    const r = await rt.execute(echo, { taskId: 'cold-1', agentId: echo.id, capability: 'run', input: { mode: 'sockets' }, limits: LIMITS }, new AbortController().signal);
    expect(r.status).toBe('COMPLETED');
    const spun = await rt.execute(SPINNER, { taskId: 'cold-2', agentId: SPINNER.id, capability: 'run', input: {}, limits: { ...LIMITS, timeoutMs: 500 } }, new AbortController().signal);
    expect(spun.status).toBe('TIMEOUT'); // it never reads its task: cold, it is the task's time it burns
  });
});
