// Idle pools cost ~0 CPU (issue 15): a pooled container is throttled until its task, one that spins before its
// task is killed, the pool backs off and then stops refilling and says why in health; a quiet pool stays healthy.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { listTaskCgroups, TaskCgroup } from '../../src/sandbox/docker/task-cgroup.js';
import { SELF_TOKEN } from '../../src/sandbox/process-identity.js';
import { drained, hostileAgent, hostileTask, LIMITS, mathAgent, never, requireEngine } from './docker-harness.js';

const DAEMON = `test-idle-${process.pid}`;
const spinner = hostileAgent({ id: 'spin-first', command: ['/agent', 'spin-first'], pool: 1 });
let rt: DockerRuntime | undefined;

/** This process's container cgroup parents (the canary's aside). */
const ourCgroups = () => listTaskCgroups().filter((n) => n.startsWith(`${SELF_TOKEN}-`) && !n.includes('canary'));

/** CPU of every container this process starts, sampled often (a parent's counter vanishes with it, so keep each one's last value). */
class CpuMeter {
  private readonly last = new Map<string, number>();
  private readonly timer = setInterval(() => this.sample(), 50);
  constructor(private readonly ignore = new Set(ourCgroups())) { this.sample(); }
  private sample(): void {
    for (const n of ourCgroups()) if (!this.ignore.has(n)) this.last.set(n, Math.max(this.last.get(n) ?? 0, new TaskCgroup(n).cpuMs()));
  }
  get containers(): number { return this.last.size; }
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return [...this.last.values()].reduce((a, b) => a + b, 0);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(requireEngine);
afterEach(async () => {
  await rt?.close();
  rt = undefined;
  expect(await drained(DAEMON)).toEqual([]);
});

describe('an agent that spins before reading its task, pooled', () => {
  it('costs under 5% of a core over 10 s (product defaults)', async () => {
    const meter = new CpuMeter();
    rt = new DockerRuntime({ daemonId: DAEMON, agentLimits: () => LIMITS });
    await rt.start();
    const t0 = performance.now();
    await rt.prepare(spinner);
    await sleep(10_000);
    const cpuMs = meter.stop();
    const windowMs = performance.now() - t0;
    console.log(`idle spinner pool: ${cpuMs} ms CPU over ${Math.round(windowMs)} ms (${((100 * cpuMs) / windowMs).toFixed(1)}% of a core), ${meter.containers} container(s)`);
    expect(meter.containers).toBeGreaterThan(0);
    expect(cpuMs).toBeLessThan(0.05 * windowMs);
  }, 30_000);

  it('is killed, backed off, then not refilled, and the pool reports why in health', async () => {
    const meter = new CpuMeter();
    rt = new DockerRuntime({ daemonId: DAEMON, agentLimits: () => LIMITS, idle: { budgetMs: 20, checkMs: 50, backoffMs: 300, maxStrikes: 2 } });
    await rt.start();
    await rt.prepare(spinner);
    for (let i = 0; i < 200 && rt.pool(spinner.id)!.healthy; i++) await sleep(50);
    const h = await rt.health();
    expect(h.features[`pool:${spinner.id}`]).toMatch(/^unhealthy: a pooled container used \d+ ms of CPU before its task arrived.*refill stopped after 2 strikes/);
    expect(h.available).toBe(true); // the backend serves; only this agent's pool stopped
    await sleep(1500);
    meter.stop();
    expect(meter.containers).toBe(2); // one per strike: no refill loop
    expect(rt.pool(spinner.id)!.readyCount).toBe(0);
    // The agent's tasks still run, cold (this agent never reads its task: TIMEOUT).
    const r = await rt.execute(spinner, hostileTask('ok', {}, { timeoutMs: 1000 }), never());
    expect(r.status).toBe('TIMEOUT');
  }, 30_000);
});

describe('a quiet pooled agent', () => {
  it('stays healthy at ~0 CPU while idle, and gets its whole CPU back with its task', async () => {
    rt = new DockerRuntime({ daemonId: DAEMON, agentLimits: () => LIMITS });
    await rt.start();
    const math = mathAgent({ pool: 1 });
    const hostile = hostileAgent({ pool: 1 });
    await rt.prepare(math);
    await rt.prepare(hostile);
    await rt.pool(math.id)!.filled();
    await rt.pool(hostile.id)!.filled();
    const meter = new CpuMeter();
    await sleep(2000);
    expect(meter.stop()).toBeLessThan(50);
    expect((await rt.health()).features).toMatchObject({ [`pool:${math.id}`]: '1/1 ready', [`pool:${hostile.id}`]: '1/1 ready' });
    // Throttled to the idle share this would take 15 s; unthrottled at bind it is a fraction of a second.
    const r = await rt.execute(hostile, hostileTask('spin', {}, { cpuMillis: 300 }), never());
    expect(r.status).toBe('CPU_LIMIT');
    expect(r.usage.wallMs).toBeLessThan(5000);
  }, 30_000);
});
