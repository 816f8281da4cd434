// Docker math task through ExecuteTask: cold path vs pooled path vs `docker run --rm -i` (same image, same limits).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAri, type AriClient } from '../src/client/ari-client.js';
import { parseConfig } from '../src/config/load-config.js';
import { startDaemon, type DaemonHandle } from '../src/daemon.js';
import { silentLogger } from '../src/observability/logger.js';
import type { DockerRuntime } from '../src/runtimes/docker/docker-runtime.js';
import { ensureImage, FIXTURE_IMAGES_DIR } from '../src/runtimes/docker/image-builder.js';
import { FSIZE_BYTES, NANO_CPUS, NOFILE, TMPFS_BYTES, AGENT_USER } from '../src/sandbox/docker/host-config.js';
import { seccompProfileJson } from '../src/sandbox/docker/seccomp-profile.js';
import type { BenchSection } from './run.js';
import { fmt, percentile } from './stats.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'agents');
const IMAGE = 'ari-fixtures/math:1';
const MEMORY = 64 * 1024 * 1024;
const PIDS = 64;
const INPUT = JSON.stringify({ operation: 'multiply', operands: [7, 6] });

export type DockerBenchRow = { path: string; p50Ms: number; p99Ms: number; ratioToCli: number; target: string };

const TOML = `
[limits.default]
memory_bytes = ${MEMORY}
pids = ${PIDS}
[runtimes.docker]
concurrency = 4
[[agents]]
id = "math-cold"
runtime = "docker"
image = "${IMAGE}"
manifest = "math/manifest.json"
pool = 0
[[agents]]
id = "math-pooled"
runtime = "docker"
image = "${IMAGE}"
manifest = "math/manifest.json"
pool = 2
`;

function cliArgs(profilePath: string): string[] {
  return [
    'run', '--rm', '-i', '--network', 'none', '--memory', String(MEMORY), '--memory-swap', String(MEMORY),
    '--cpus', String(NANO_CPUS / 1e9), '--pids-limit', String(PIDS), '--read-only', '--cap-drop', 'ALL',
    '--security-opt', 'no-new-privileges', '--security-opt', `seccomp=${profilePath}`, '--user', AGENT_USER,
    '--tmpfs', `/tmp:rw,noexec,nosuid,nodev,size=${TMPFS_BYTES}`, '--ulimit', `nofile=${NOFILE}:${NOFILE}`,
    '--ulimit', `fsize=${FSIZE_BYTES}:${FSIZE_BYTES}`, '--ulimit', 'core=0:0', '--log-driver', 'none', IMAGE,
  ];
}

function dockerRun(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('docker', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 && out.includes('"result":42') ? resolve() : reject(new Error(`docker run failed (${code}): ${out}`))));
    p.stdin.end(JSON.stringify({ task_id: 'bench', capability: 'arithmetic', input: JSON.parse(INPUT) }));
  });
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function execute(c: AriClient, agent: string): Promise<void> {
  const r = await c.executeTask({ agent_id: agent, capability: 'arithmetic', input: INPUT });
  if (r.status !== 'COMPLETED') throw new Error(`${agent}: ${r.status} ${JSON.stringify(r.error)}`);
}

/** n samples of each path, interleaved so they share the machine's noise. */
export async function runDockerBench(n: number): Promise<DockerBenchRow[]> {
  await ensureImage(IMAGE, join(FIXTURE_IMAGES_DIR, 'math'));
  const profile = join(mkdtempSync(join(tmpdir(), 'ari-bench-')), 'seccomp.json');
  writeFileSync(profile, seccompProfileJson());
  const config = parseConfig(TOML, 'bench.toml', FIX);
  config.server.listen = '127.0.0.1:0';
  config.server.metrics = null;
  const d: DaemonHandle = await startDaemon({ config, logger: silentLogger });
  const c = connectAri(d.address);
  const docker = d.runtimes.get('docker') as DockerRuntime;
  const samples = { cold: [] as number[], pooled: [] as number[], cli: [] as number[] };
  // Seen once under heavy load: the loop emptied mid-run (exit 13, unsettled await); hold it open explicitly.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const h = await docker.health();
    if (!h.available) throw new Error(h.reason);
    await execute(c, 'math-pooled'); // creates the pool (when the daemon does not pre-fill it at prepare)
    for (let i = 0; i < n + 2; i++) {
      // Pooling is a latency tool for request rates below the refill rate: measure with the pool full.
      await docker.pool('math-pooled')?.filled();
      const cold = await timed(() => execute(c, 'math-cold'));
      const pooled = await timed(() => execute(c, 'math-pooled'));
      const cli = await timed(() => dockerRun(cliArgs(profile)));
      if (i < 2) continue; // warm-up
      samples.cold.push(cold);
      samples.pooled.push(pooled);
      samples.cli.push(cli);
    }
  } finally {
    clearInterval(keepAlive);
    c.close();
    await d.stop();
  }
  const stat = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return { p50: percentile(s, 50), p99: percentile(s, 99) }; };
  const cli = stat(samples.cli);
  const row = (path: string, xs: number[], target: string): DockerBenchRow => {
    const s = stat(xs);
    return { path, p50Ms: s.p50, p99Ms: s.p99, ratioToCli: s.p50 / cli.p50, target };
  };
  return [
    row('ExecuteTask, cold container (create/attach/start/wait/remove)', samples.cold, '≤ 0.5×'),
    row('ExecuteTask, pooled container (pre-started, blocked on stdin)', samples.pooled, '≤ 0.15×'),
    row('`docker run --rm -i` (CLI, same image and limits)', samples.cli, '1×'),
  ];
}

/** The section `npm run bench` renders. */
export async function dockerSection(): Promise<BenchSection> {
  const n = Number(process.env.BENCH_DOCKER ?? 30);
  const rows = await runDockerBench(n);
  return {
    title: 'Docker MathAgent: ExecuteTask cold vs pooled vs docker run',
    headers: ['path', 'p50 ms', 'p99 ms', 'p50 ÷ CLI p50', 'target'],
    rows: rows.map((r) => [r.path, fmt(r.p50Ms, 1), fmt(r.p99Ms, 1), fmt(r.ratioToCli), r.target]),
    notes: [
      `${n} samples each, interleaved; pooled requests are sent with the pool full (refill happens between requests).`,
      'Same hardening on every path: no network, Memory = MemorySwap, 1 CPU, PidsLimit, read-only root, no capabilities, no-new-privileges, the ari seccomp profile, nobody, noexec tmpfs, ulimits, no log driver.',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runDockerBench(Number(process.argv[2] ?? 20));
  for (const r of rows) console.log(`${r.path}: p50 ${fmt(r.p50Ms, 1)} ms, p99 ${fmt(r.p99Ms, 1)} ms, ${fmt(r.ratioToCli)}× CLI (target ${r.target})`);
  process.exit(0);
}
