// Pre-started native sandboxes: one task each, the task's own limits and deadline, uids shared fairly with cold tasks, nothing left after close.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { agent, cgroupDirsOf, HOSTILE, HOSTILE_BIN, LIMITS, MATH, processesOfUids, run, sleep, startRuntime } from './native-helpers.js';

const UIDS: [number, number] = [2_160_000, 4];
const POOLED_MATH = { ...MATH, id: 'math-pooled', pool: 2 };
const POOLED_HOSTILE = { ...HOSTILE, id: 'hostile-pooled', pool: 1 };
let rt: NativeRuntime;
beforeAll(async () => {
  rt = await startRuntime({ uidRange: UIDS, agentLimits: () => LIMITS });
  await rt.prepare(POOLED_MATH);
  await rt.prepare(POOLED_HOSTILE);
});
afterAll(async () => { await rt?.close(); });

describe('native sandbox pool', () => {
  it('fills at prepare, serves tasks from the pool and refills after them', async () => {
    const pool = rt.pool(POOLED_MATH.id)!;
    expect(await pool.filled()).toBe(true);
    // the pooled sandboxes already run, each on its own pool uid
    expect(processesOfUids(...UIDS).length).toBeGreaterThanOrEqual(2);
    const r = await run(rt, POOLED_MATH, 'arithmetic', { operation: 'multiply', operands: [7, 6] });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toEqual({ result: 42 });
    expect(r.usage.exitCode).toBe(0);
    expect(pool.readyCount).toBe(1); // refilled only after the answer
    expect(await pool.filled()).toBe(true);
  });

  it('never hands a sandbox a second task: a file one task leaves in /tmp is absent for the next', async () => {
    await rt.pool(POOLED_HOSTILE.id)!.filled();
    const w = await run(rt, POOLED_HOSTILE, 'run', { mode: 'write', mb: 1 });
    expect(w.output).toMatchObject({ written: 1 << 20 });
    await rt.pool(POOLED_HOSTILE.id)!.filled();
    const r = await run(rt, POOLED_HOSTILE, 'run', { mode: 'read', paths: ['/tmp/big'] });
    expect(r.output).toEqual({ results: { '/tmp/big': 2 } }); // ENOENT
  });

  it('a pooled sandbox is as confined as a cold one: pool uid, seccomp filter in force', async () => {
    await rt.pool(POOLED_HOSTILE.id)!.filled();
    const r = await run(rt, POOLED_HOSTILE, 'run', { mode: 'syscalls' });
    const out = r.output as Record<string, number>;
    expect(out.uid).toBeGreaterThanOrEqual(UIDS[0]);
    expect(out.uid).toBeLessThan(UIDS[0] + UIDS[1]);
    for (const k of ['ptrace', 'mount', 'unshare_user', 'keyctl', 'bpf']) expect(out[k], k).toBe(1); // EPERM
    expect(out.clone3).toBe(38); // ENOSYS
  });

  it('counts the timeout from the hand-over, and kills the pooled sandbox on it', async () => {
    const pool = rt.pool(POOLED_HOSTILE.id)!;
    await pool.filled();
    await sleep(300); // idle time in the pool is not the task's
    const r = await run(rt, POOLED_HOSTILE, 'run', { mode: 'sleep', seconds: 30 }, { timeoutMs: 250 });
    expect(r.status).toBe('TIMEOUT');
    expect(r.usage.wallMs).toBeGreaterThanOrEqual(240);
    expect(r.usage.wallMs).toBeLessThan(1500);
  });

  it('keeps the pool\'s limits: a task with other limits takes the cold path and still gets its own', async () => {
    const pool = rt.pool(POOLED_HOSTILE.id)!;
    await pool.filled();
    const r = await run(rt, POOLED_HOSTILE, 'run', { mode: 'memory', mb: 256 }, { memoryBytes: 16 << 20 });
    expect(r.status).toBe('OUT_OF_MEMORY');
    expect(pool.readyCount).toBe(1); // untouched
    const ok = await run(rt, POOLED_HOSTILE, 'run', { mode: 'memory', mb: 8 });
    expect(ok.status).toBe('COMPLETED');
  });

  it('gives idle pooled uids to cold tasks when the uid pool runs dry', async () => {
    await rt.pool(POOLED_MATH.id)!.filled();
    await rt.pool(POOLED_HOSTILE.id)!.filled();
    // 3 of the 4 uids idle in pools; 4 cold tasks at once must all run
    const rs = await Promise.all(Array.from({ length: 4 }, (_, i) => run(rt, MATH, 'arithmetic', { operation: 'add', operands: [i, 1] }, { memoryBytes: 32 << 20 })));
    expect(rs.map((r) => r.output)).toEqual([1, 2, 3, 4].map((result) => ({ result })));
  });

  it('pauses the refill of an agent that dies before its task, then stops its pool and reports it; serves that agent cold', async () => {
    const echo = agent('echo-pooled', '/bin/echo', { command: ['/bin/echo', '{"output":"early"}'], binds: ['/lib64', '/lib', '/usr/lib'], pool: 1 });
    await rt.prepare(echo);
    const pool = rt.pool(echo.id)!;
    for (let i = 0; i < 100 && pool.diedIdle === 0; i++) await sleep(30);
    expect(pool.diedIdle).toBe(1);
    await sleep(300);
    expect(pool.diedIdle).toBe(1); // paused after the first, not respawning in a loop
    const r = await run(rt, echo, 'arithmetic', {}); // pooled if one is alive right now (its early output kept), else cold
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toBe('early');
    // the second death stops the pool for good, and health names the agent
    for (let i = 0; i < 200 && !pool.stopped; i++) await sleep(25);
    expect(pool.stopped).toMatch(/ended before its task; pool stopped after 2/);
    await sleep(300);
    expect(pool.diedIdle).toBe(2);
    const h = await rt.health();
    expect(h.features['pool:echo-pooled']).toBe('stopped');
    expect(h.reason).toMatch(/agent "echo-pooled": a pre-started sandbox ended before its task/);
  });

  it('close() ends the pooled sandboxes and removes every cgroup', async () => {
    const before = cgroupDirsOf(process.pid);
    const other = await startRuntime({ uidRange: [2_161_000, 4], agentLimits: () => LIMITS });
    const pooled = agent('pooled', HOSTILE_BIN, { pool: 3 });
    await other.prepare(pooled);
    expect(await other.pool(pooled.id)!.filled()).toBe(true);
    expect(processesOfUids(2_161_000, 4).length).toBeGreaterThanOrEqual(3);
    await other.close();
    for (let i = 0; i < 20 && processesOfUids(2_161_000, 4).length > 0; i++) await sleep(50);
    expect(processesOfUids(2_161_000, 4)).toEqual([]);
    expect(cgroupDirsOf(process.pid)).toEqual(before); // the closed runtime's subtree is gone, the other one's untouched
  });
});
