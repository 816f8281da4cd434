// Native backend latency: the math task through ExecuteTask (cold sandbox, pooled sandbox), through NativeRuntime.execute, vs the same sandbox command spawned directly vs a bare spawn.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { connectAri } from '../src/client/ari-client.js';
import { parseConfig } from '../src/config/load-config.js';
import { startDaemon } from '../src/daemon.js';
import { silentLogger } from '../src/observability/logger.js';
import { NativeRuntime } from '../src/runtimes/native/native-runtime.js';
import { findTools } from '../src/runtimes/native/host-check.js';
import { sandboxLimits } from '../src/runtimes/native/sandbox-host.js';
import type { AgentSpec, ExecutionTask } from '../src/contract/agent.js';
import { taskDocument } from '../src/contract/agent.js';
import { detectCgroups } from '../src/sandbox/native/cgroup-detect.js';
import { CgroupTree } from '../src/sandbox/native/cgroup-tree.js';
import { sandboxCommand } from '../src/sandbox/native/sandbox-command.js';
import { compileSeccomp, encodeSeccomp } from '../src/sandbox/native/seccomp-bpf.js';
import type { Limits } from '../src/contract/limits.js';
import { fmt, percentile } from './stats.js';
import type { BenchSection } from './run.js';

export interface NativeBenchRow {
  name: string;
  p50Ms: number;
  p95Ms: number;
  /** p50 relative to the direct sandbox spawn. */
  vsDirect: number;
}

const MATH = resolve(import.meta.dirname, '../fixtures/agents/math/native/math');
const LIMITS: Limits = { timeoutMs: 5000, memoryBytes: 64 << 20, cpuMillis: 2000, fuel: 0, pids: 32, outputBytes: 64 * 1024 };
const FIX = resolve(import.meta.dirname, '../fixtures/agents');
const UIDS: [number, number] = [2_190_000, 4];
const DAEMON_UIDS: [number, number] = [2_191_000, 8];
const TMPFS = 16 << 20;
const POOL = 2;

/** A daemon hosting the math agent twice: cold (no pool) and pooled; the task limits are the daemon's defaults. */
async function mathDaemon() {
  const agent = (id: string, pool: number) => `[[agents]]\nid = "${id}"\nruntime = "native"\ncommand = ["${MATH}"]\nmanifest = "${join(FIX, 'math/manifest.json')}"\npool = ${pool}\n`;
  const toml = `[runtimes.native]\nconcurrency = 4\nuid_start = ${DAEMON_UIDS[0]}\nuid_count = ${DAEMON_UIDS[1]}\n${agent('math-cold', 0)}${agent('math-pooled', POOL)}`;
  const config = parseConfig(toml, 'native-bench.toml', FIX);
  config.server.listen = '127.0.0.1:0';
  config.server.metrics = null;
  const d = await startDaemon({ config, logger: silentLogger });
  const c = connectAri(d.address);
  const call = (agentId: string) => async () => {
    const r = await c.executeTask({ agent_id: agentId, capability: 'arithmetic', input: JSON.stringify({ operation: 'multiply', operands: [7, 6] }) });
    if (r.status !== 'COMPLETED') throw new Error(`${agentId}: ${r.status} ${r.error?.message}`);
  };
  return { call, async stop() { c.close(); await d.stop(); } };
}

/** Spawns argv, writes the input, resolves when it exited and its output was read. */
function spawnOnce(file: string, args: string[], input: string, extraFd?: Buffer): Promise<string> {
  return new Promise((res, rej) => {
    const stdio: ('pipe' | 'ignore')[] = extraFd ? ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'];
    const c = spawn(file, args, { stdio, env: {} });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d; });
    c.stderr!.resume();
    if (extraFd) {
      const fd3 = c.stdio[3] as NodeJS.WritableStream;
      fd3.on('error', () => {});
      fd3.end(extraFd);
      (c.stdio[4] as NodeJS.ReadableStream).resume();
    }
    c.stdin!.end(input);
    c.on('error', rej);
    c.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`exit ${code}: ${out}`))));
  });
}

/** Pause before each call: the background work a call leaves (a pool refill 20 ms after its answer, a cgroup removal) must not land in the next path's figure. */
const GAP_MS = Number(process.env.BENCH_NATIVE_GAP_MS ?? 100);

/** Runs the contenders round-robin, so a host whose load drifts during the run affects them alike. */
async function interleaved(n: number, fs: (() => Promise<unknown>)[], gapMs = GAP_MS): Promise<number[][]> {
  for (const f of fs) for (let i = 0; i < Math.min(5, n); i++) await f(); // warm-up
  const xs: number[][] = fs.map(() => []);
  for (let i = 0; i < n; i++) {
    for (const [k, f] of fs.entries()) {
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      const s = performance.now();
      await f();
      xs[k].push(performance.now() - s);
    }
  }
  return xs.map((x) => x.sort((a, b) => a - b));
}

export async function runNativeBench(n = 100): Promise<NativeBenchRow[]> {
  const tools = findTools();
  if (typeof tools === 'string') throw new Error(tools);
  const agent: AgentSpec = { id: 'math-native', runtime: 'native', manifest: { name: 'm', version: '1', description: '', capabilities: [], requirements: {} }, limits: {}, env: {}, command: [MATH], baseDir: '/' };
  const pooledAgent: AgentSpec = { ...agent, id: 'math-native-pooled', pool: POOL };
  const rt = new NativeRuntime({ uidRange: UIDS, tmpfsBytes: TMPFS, agentLimits: () => LIMITS });
  await rt.start();
  const h = await rt.health();
  if (!h.available) throw new Error(`native backend unavailable: ${h.reason}`);
  const layout = detectCgroups();
  if (!layout) throw new Error('no cgroups');
  const tree = CgroupTree.open(layout);
  const daemon = await mathDaemon();
  try {
    await rt.prepare(pooledAgent);
    const task: ExecutionTask = { taskId: 'bench', agentId: agent.id, capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] }, limits: LIMITS };
    const input = taskDocument(task);
    const seccomp = encodeSeccomp(compileSeccomp());
    // The direct baseline: the very argv the runtime spawns (cgroup join, setpriv, prlimit, bwrap, seccomp, status fd),
    // into one cgroup made once, so what remains is the runtime's own work (cgroup per task, uid pool, stream plumbing).
    const lim = sandboxLimits({ tmpfsBytes: TMPFS, cpus: 1 }, LIMITS);
    const cg = tree.createTask('bench-direct', lim.cgroup);
    const direct = sandboxCommand(tools, {
      command: [MATH], binds: [], env: {}, uid: UIDS[0] + UIDS[1] - 1, rlimits: lim.rlimits,
      tmpfsBytes: TMPFS, cgroupProcs: cg.procsFiles, seccompFd: 3, statusFd: 4,
    });
    const execute = (a: AgentSpec) => async () => {
      const r = await rt.execute(a, task, new AbortController().signal);
      if (r.status !== 'COMPLETED') throw new Error(`math task ${r.status}: ${r.error?.message}`);
    };
    const paths: [string, () => Promise<unknown>][] = [
      ['ExecuteTask, cold sandbox', daemon.call('math-cold')],
      [`ExecuteTask, pooled sandbox (pool = ${POOL})`, daemon.call('math-pooled')],
      ['NativeRuntime.execute, cold (no gRPC)', execute(agent)],
      ['NativeRuntime.execute, pooled (no gRPC)', execute(pooledAgent)],
      ['same sandbox command, spawned directly', () => spawnOnce(direct.file, direct.args, input, seccomp)],
      ['bare spawn, no sandbox', () => spawnOnce(MATH, [], input)],
    ];
    const xs = await interleaved(n, paths.map(([, f]) => f));
    const d50 = percentile(xs[4], 50);
    return paths.map(([name], i) => ({ name, p50Ms: percentile(xs[i], 50), p95Ms: percentile(xs[i], 95), vsDirect: percentile(xs[i], 50) / d50 }));
  } finally {
    await daemon.stop();
    await tree.close();
    await rt.close();
  }
}

/** The section for `npm run bench`. */
export async function nativeSection(n = 100): Promise<BenchSection> {
  const rows = await runNativeBench(n);
  return {
    title: 'Native sandbox latency (math task)',
    headers: ['path', 'p50 ms', 'p95 ms', '× direct sandbox'],
    rows: rows.map((r) => [r.name, fmt(r.p50Ms), fmt(r.p95Ms), fmt(r.vsDirect)]),
    notes: [
      `${n} sequential tasks per path, the paths taken round-robin (a shared host's load drifts alike for all). Target: ExecuteTask ≤ 1.2× the direct sandbox spawn at p50; stretch: the pooled path below 1.0×.`,
      `A ${GAP_MS} ms pause before every call (BENCH_NATIVE_GAP_MS): latency on a host with room, which is what a pool buys; in a saturated closed loop the refills compete with the tasks for the same cores.`,
      'Pooled: sandboxes fully set up (uid, cgroup limits, rlimits, seccomp, namespaces) with the agent blocked on stdin, one task each, refilled off the answer path.',
      'The sandbox: cgroup join → setpriv (uid, pdeathsig) → prlimit → bwrap (user/pid/net/ipc/uts/cgroup namespaces, seccomp, minimal read-only view).',
    ],
  };
}
