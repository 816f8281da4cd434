// Issue 4 against the real engine: statuses, limits and denials of the Docker backend, nothing left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { AgentLoadError } from '../../src/runtimes/runtime.js';
import { drained, hostileAgent, hostileTask, mathAgent, mathTask, never, requireEngine, task } from './docker-harness.js';

const DAEMON = `test-rt-${process.pid}`;
let rt: DockerRuntime;
const math = mathAgent();
const hostile = hostileAgent();
const run = (mode: string, extra: Record<string, unknown> = {}, limits = {}) => rt.execute(hostile, hostileTask(mode, extra, limits), never());

beforeAll(async () => {
  await requireEngine();
  rt = new DockerRuntime({ daemonId: DAEMON });
  await rt.start();
  await rt.prepare(math);
  await rt.prepare(hostile);
});
afterAll(async () => { await rt?.close(); });

describe('docker runtime', () => {
  it('is healthy, with the engine and hardening it found', async () => {
    const h = await rt.health();
    expect(h, h.reason).toMatchObject({ runtime: 'docker', available: true });
    expect(h.features).toMatchObject({ seccomp: 'ari profile', network: 'none' });
  });

  it('runs the MathAgent to COMPLETED, with usage from the cgroup', async () => {
    const r = await rt.execute(math, mathTask('multiply', [7, 6]), never());
    expect(r.status, JSON.stringify(r.error)).toBe('COMPLETED');
    expect(r.output).toEqual({ result: 42 });
    expect(r.metrics).toEqual({ operand_count: 2 });
    expect(r.usage.exitCode).toBe(0);
    expect(r.usage.wallMs).toBeGreaterThan(0);
    expect(r.usage.peakMemoryBytes).toBeGreaterThan(0);
    expect(r.usage.outputBytes).toBeGreaterThan(0);
    const errored = await rt.execute(math, mathTask('divide', [1, 0]), never());
    expect(errored).toMatchObject({ status: 'FAILED', error: { code: 'AGENT_ERROR', message: 'division by zero' } });
    const stats = await rt.execute(math, task('statistics', { operation: 'median', values: [4, 1, 3, 2] }, {}, 'math-docker'), never());
    expect(stats.output).toEqual({ result: 2.5 });
  });

  it('runs as nobody', async () => {
    expect((await run('whoami')).output).toEqual({ mode: 'whoami', uid: 65534, gid: 65534 });
  });

  it('times out (within a generous bound: precision is `ari conformance`\'s) and then removes the container', async () => {
    const t0 = performance.now();
    const r = await run('sleep', { seconds: 60 }, { timeoutMs: 1500 });
    const elapsed = performance.now() - t0;
    expect(r.status).toBe('TIMEOUT');
    expect(r.error).toEqual({ code: 'TIMEOUT', message: 'timed out after 1500 ms' });
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(1500 + 1500);
    expect(await drained(DAEMON)).toEqual([]); // removed off the answer's path
  });

  it('answers OUT_OF_MEMORY when the hog passes Memory = MemorySwap', async () => {
    const r = await run('memory', { mb: 512 }, { memoryBytes: 32 * 1024 ** 2 });
    expect(r.status, JSON.stringify(r)).toBe('OUT_OF_MEMORY');
    expect(r.usage.peakMemoryBytes).toBeGreaterThanOrEqual(30 * 1024 ** 2);
  });

  it('answers OUT_OF_MEMORY when a child is OOM-killed and the agent still answers (as native)', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await run('child_oom', { mb: 512 }, { memoryBytes: 32 * 1024 ** 2 });
      expect(r.status, JSON.stringify(r)).toBe('OUT_OF_MEMORY');
      expect(r.error?.message).toMatch(/OOM-killed/);
    }
  });

  it('answers OUT_OF_MEMORY every time the agent itself is OOM-killed (no race with the exit)', async () => {
    for (let i = 0; i < 3; i++) expect((await run('memory', { mb: 512 }, { memoryBytes: 32 * 1024 ** 2 })).status).toBe('OUT_OF_MEMORY');
  });

  it('does not take a signal status the agent chose (exit 137, 152) for a kill', async () => {
    for (const code of [137, 152]) {
      const r = await run('exit', { code });
      expect(r, JSON.stringify(r)).toMatchObject({ status: 'FAILED', usage: { exitCode: code } });
      expect(r.error?.code).not.toBe('OUT_OF_MEMORY');
    }
  });

  it('stops a fork bomb with PidsLimit while a concurrent good task completes', async () => {
    const [bomb, good] = await Promise.all([
      run('forkbomb', {}, { pids: 16 }),
      rt.execute(math, mathTask('add', [1, 2, 3.5]), never()),
    ]);
    expect(good.status).toBe('COMPLETED');
    expect(good.output).toEqual({ result: 6.5 });
    expect(bomb.status, JSON.stringify(bomb)).toBe('COMPLETED');
    expect(bomb.output).toMatchObject({ mode: 'forkbomb', denied: true, errno: 11 }); // EAGAIN from the pids cgroup
  });

  it('denies network access (NetworkMode none)', async () => {
    const r = await run('network', { address: '1.1.1.1' });
    expect(r.output).toMatchObject({ mode: 'network', denied: true });
    // EPERM: the profile refuses AF_INET sockets; ENETUNREACH: no interface but lo.
    expect([1, 101]).toContain((r.output as { errno: number }).errno);
  });

  it('denies writes to the root filesystem, and to the image\'s own files', async () => {
    expect((await run('rootfs', { path: '/pwned' })).output).toMatchObject({ denied: true, errno: 30 }); // EROFS
    expect((await run('rootfs', { path: '/agent' })).output).toMatchObject({ denied: true });
  });

  it.each(['mount', 'unshare', 'setns', 'ptrace', 'keyctl', 'clone_newns'])('denies %s (EPERM)', async (mode) => {
    const r = await run(mode);
    expect(r.output).toMatchObject({ mode, denied: true, errno: 1 });
  });

  it('does not expose the Docker socket', async () => {
    const r = await run('docker_socket');
    expect(r.output).toMatchObject({ mode: 'docker_socket', denied: true });
  });

  it('answers OUTPUT_LIMIT on a stdout flood, and on a stderr flood', async () => {
    const out = await run('flood', {}, { outputBytes: 256 * 1024 });
    expect(out.status).toBe('OUTPUT_LIMIT');
    expect(out.usage.outputBytes).toBeGreaterThan(256 * 1024);
    const err = await run('flood', { fd: 2 }, { outputBytes: 256 * 1024 });
    expect(err.status).toBe('OUTPUT_LIMIT');
  });

  it('answers CPU_LIMIT when the CPU-time budget is spent', async () => {
    const r = await run('spin', {}, { cpuMillis: 300, timeoutMs: 20_000 });
    expect(r.status).toBe('CPU_LIMIT');
    expect(r.usage.cpuMs).toBeGreaterThanOrEqual(300);
  });

  it('cancels: kill, remove, CANCELLED', async () => {
    const ac = new AbortController();
    const p = rt.execute(hostile, hostileTask('sleep', { seconds: 60 }), ac.signal);
    setTimeout(() => ac.abort(), 500);
    const r = await p;
    expect(r.status).toBe('CANCELLED');
    expect(await drained(DAEMON)).toEqual([]);
  });

  it('answers a cancel or a deadline that comes while the container is still starting, and removes it after', async () => {
    const ac = new AbortController();
    const p = rt.execute(hostile, hostileTask('sleep', { seconds: 60 }), ac.signal);
    setTimeout(() => ac.abort(), 20);
    const cancelled = await p;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', error: { code: 'CANCELLED', message: 'cancelled' } });
    const late = await run('sleep', { seconds: 60 }, { timeoutMs: 30 });
    expect(late).toMatchObject({ status: 'TIMEOUT', error: { message: 'timed out after 30 ms' } });
    expect(await drained(DAEMON)).toEqual([]);
  });

  it('streams stderr as log lines and reports a non-zero exit as AGENT_ERROR', async () => {
    const lines: string[] = [];
    const logged = await rt.execute(hostile, hostileTask('log', { lines: 3 }), never(), { onLog: (l) => lines.push(l) });
    expect(logged.status).toBe('COMPLETED');
    expect(lines).toEqual(['log line 0', 'log line 1', 'log line 2']);
    const failed = await run('exit', { code: 3 });
    expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'AGENT_ERROR' }, usage: { exitCode: 3 } });
  });

  it('refuses an agent whose image is missing and cannot be built', async () => {
    await expect(rt.prepare(mathAgent({ id: 'nope', image: 'ari-missing/nothing:0' }))).rejects.toBeInstanceOf(AgentLoadError);
  });

  it('leaves no container behind after all of the above', async () => {
    expect(await drained(DAEMON)).toEqual([]); // removals run off the answer path
  });
});

describe('docker runtime without an engine', () => {
  it('reports unavailable with the reason, and answers tasks with SANDBOX_ERROR', async () => {
    const off = new DockerRuntime({ daemonId: 'nowhere', socketPath: '/nonexistent/docker.sock' });
    await off.start();
    const h = await off.health();
    expect(h.available).toBe(false);
    expect(h.reason).toMatch(/cannot reach Docker engine at (unix:\/\/)?\/nonexistent\/docker\.sock: .*setup-host\.sh/);
    const r = await off.execute(math, mathTask('add', [1, 2]), never());
    expect(r.error?.code).toBe('SANDBOX_ERROR');
    await off.close();
  });
});
