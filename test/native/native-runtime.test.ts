// NativeRuntime end to end with real sandboxes: math results, identity, environment, logs, cancel, health, bad agents.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { AgentLoadError } from '../../src/runtimes/runtime.js';
import { agent, hostile, HOSTILE, MATH, MATH_BIN, run, startRuntime } from './native-helpers.js';

const UIDS: [number, number] = [2_110_000, 8];
let rt: NativeRuntime;
beforeAll(async () => { rt = await startRuntime({ uidRange: UIDS }); });
afterAll(async () => { await rt?.close(); });

describe('native runtime: math', () => {
  it('completes arithmetic with the exact result', async () => {
    const r = await run(rt, MATH, 'arithmetic', { operation: 'multiply', operands: [7, 6] });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toEqual({ result: 42 });
    expect(r.metrics).toEqual({ operand_count: 2 });
    expect(r.usage.exitCode).toBe(0);
    expect(r.usage.wallMs).toBeGreaterThan(0);
    expect(r.usage.cpuMs).toBeGreaterThanOrEqual(0);
    expect(r.usage.peakMemoryBytes).toBeGreaterThan(0);
    expect(r.usage.outputBytes).toBeGreaterThan(0);
  });

  it('adds left to right, and divides', async () => {
    expect((await run(rt, MATH, 'arithmetic', { operation: 'add', operands: [1, 2, 3.5] })).output).toEqual({ result: 6.5 });
    expect((await run(rt, MATH, 'arithmetic', { operation: 'divide', operands: [100, 4, 5] })).output).toEqual({ result: 5 });
    expect((await run(rt, MATH, 'arithmetic', { operation: 'subtract', operands: [10, 2, 3] })).output).toEqual({ result: 5 });
  });

  it('reports division by zero as the agent error', async () => {
    const r = await run(rt, MATH, 'arithmetic', { operation: 'divide', operands: [1, 0] });
    expect(r.status).toBe('FAILED');
    expect(r.error).toEqual({ code: 'AGENT_ERROR', message: 'division by zero' });
  });

  it('computes statistics', async () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    expect((await run(rt, MATH, 'statistics', { operation: 'mean', values })).output).toEqual({ result: 5 });
    expect((await run(rt, MATH, 'statistics', { operation: 'median', values: [3, 1, 2, 10] })).output).toEqual({ result: 2.5 });
    expect((await run(rt, MATH, 'statistics', { operation: 'stddev', values })).output).toEqual({ result: 2 });
  });

  it('runs tasks concurrently, each on its own uid', async () => {
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => run(rt, MATH, 'arithmetic', { operation: 'add', operands: [i, 1] })));
    expect(rs.map((r) => r.output)).toEqual([1, 2, 3, 4, 5, 6].map((result) => ({ result })));
  });
});

describe('native runtime: identity and environment', () => {
  it('runs as a pool uid, pid 1 of its namespace, hostname ari, only the declared environment', async () => {
    const withEnv = { ...HOSTILE, env: { GREETING: 'hi' } };
    const r = await run(rt, withEnv, 'run', { mode: 'whoami' });
    expect(r.status).toBe('COMPLETED');
    const out = r.output as { uid: number; gid: number; pid: number; hostname: string; env: string };
    expect(out.uid).toBeGreaterThanOrEqual(UIDS[0]);
    expect(out.uid).toBeLessThan(UIDS[0] + UIDS[1]);
    expect(out.gid).toBe(out.uid);
    expect(out.pid).toBe(1);
    expect(out.hostname).toBe('ari');
    expect(out.env.split(',').sort()).toEqual(['GREETING', 'PWD']); // bwrap sets PWD after --chdir
  });

  it('streams stderr lines as logs, capped', async () => {
    const lines: string[] = [];
    const r = await run(rt, HOSTILE, 'run', { mode: 'stderr', lines: 100_000 }, {}, undefined, { onLog: (l) => lines.push(l) });
    expect(r.status).toBe('COMPLETED');
    expect(lines[0]).toBe('log line 0');
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.length).toBeLessThan(100_000);
  });

  it('reports a crash by signal as CRASHED', async () => {
    const r = await hostile(rt, { mode: 'segv' });
    expect(r.status).toBe('FAILED');
    expect(r.error?.code).toBe('CRASHED');
    expect(r.usage.signal).toBe('SIGSEGV');
  });

  it('cancels a running task on abort', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = run(rt, HOSTILE, 'run', { mode: 'sleep', seconds: 30 }, {}, ac.signal);
    setTimeout(() => ac.abort(), 200);
    const r = await p;
    expect(r.status).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('native runtime: health and agent loading', () => {
  it('reports available with the features it enabled', async () => {
    const h = await rt.health();
    expect(h).toMatchObject({ runtime: 'native', available: true });
    expect(h.features).toMatchObject({ memory: 'yes', pids: 'yes', cpu: 'yes', freezer: 'yes', seccomp: 'yes' });
    expect(['v1', 'v2']).toContain(h.features.cgroup);
  });

  it('accepts the static fixtures', async () => {
    await expect(rt.prepare(MATH)).resolves.toBeUndefined();
    await expect(rt.prepare(HOSTILE)).resolves.toBeUndefined();
  });

  it('rejects a missing binary, a relative path, a non-executable file and bad binds, naming the value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ari-native-'));
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'x');
    chmodSync(plain, 0o644);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ command: ['/nonexistent/agent'] }, /binary not found: \/nonexistent\/agent/],
      [{ command: ['agents/math'] }, /"agents\/math" must be an absolute path/],
      [{ command: [] }, /command: required/],
      [{ command: [plain] }, /not executable/],
      [{ command: [dir] }, /not a regular file/],
      [{ binds: ['relative/dir'] }, /binds\[0\]: "relative\/dir" must be an absolute path/],
      [{ binds: ['/nonexistent/lib'] }, /binds\[0\]: path not found: \/nonexistent\/lib/],
      [{ command: [process.execPath] }, /needs \/lib64\/ld-linux-x86-64\.so\.2/],
      [{ env: { 'BAD=NAME': 'x' } }, /invalid variable name/],
    ];
    for (const [extra, message] of cases) {
      const bad = agent('bad-agent', MATH_BIN, extra);
      await expect(rt.prepare(bad), JSON.stringify(extra)).rejects.toThrow(AgentLoadError);
      await expect(rt.prepare(bad)).rejects.toThrow(message);
    }
  });

  it('runs a dynamic binary whose loader and libraries are declared binds', async () => {
    const dyn = agent('dyn', '/bin/echo', { command: ['/bin/echo', '{"output":"dynamic ok"}'], binds: ['/lib64', '/lib', '/usr/lib'] });
    await expect(rt.prepare(dyn)).resolves.toBeUndefined();
    const r = await run(rt, dyn, 'arithmetic', {});
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toBe('dynamic ok');
  });
});

describe('native runtime: host without the tools', () => {
  it('reports unavailable, naming what to install, and answers tasks with SANDBOX_ERROR', async () => {
    const { NativeRuntime } = await import('../../src/runtimes/native/native-runtime.js');
    const bare = new NativeRuntime({ uidRange: [2_119_000, 2], toolPath: ['/nonexistent'] });
    await bare.start();
    const h = await bare.health();
    expect(h.available).toBe(false);
    expect(h.reason).toBe('bwrap not found: install bubblewrap (scripts/setup-host.sh)');
    const r = await run(bare, MATH, 'arithmetic', { operation: 'add', operands: [1, 2] });
    expect(r.status).toBe('FAILED');
    expect(r.error?.code).toBe('SANDBOX_ERROR');
    await bare.close();
  });
});
