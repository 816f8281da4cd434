// Process plumbing for the deployed benchmark: a free port, `ari serve` as operators run it, helpers that wait.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
const TSX = ['--import', 'tsx'];

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    }).on('error', rej);
  });
}

/** Runs a bench script in its own process and resolves with its first stdout line (parsed by the caller). */
export function runScript(script: string, args: string[], opts: { keep?: boolean; env?: Record<string, string> } = {}): Promise<{ line: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...TSX, join(import.meta.dirname, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd: REPO, env: { ...process.env, ...opts.env } });
  return new Promise((res, rej) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) res({ line: out.slice(0, nl), child });
    });
    child.once('exit', (code) => { if (!out.includes('\n')) rej(new Error(`${script} exited ${code} without output`)); });
    if (!opts.keep) child.once('exit', () => undefined);
  });
}

const built = new Set<string>();

/**
 * Compiles `repo`'s sources into its dist/, which bin/ari.js runs (as an installed package does), once per bench
 * run. The daemon under test must not run through tsx: its transform adds a `__name()` call to every function a hot
 * path creates (~15 µs of a trivial task's main-thread time), which no operator's daemon pays.
 */
export function buildOnce(repo: string): void {
  if (built.has(repo)) return;
  const r = spawnSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`compiling ${repo} (tsc -p tsconfig.json) failed with exit ${r.status}`);
  built.add(repo);
}

/** `K=V,K=V` from an environment variable (switches for one daemon of an A/B run), as an env object. */
export function envFrom(name: string): Record<string, string> {
  return Object.fromEntries((process.env[name] ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
}

/** The bench's config template with its paths and ports filled in, as `<dir>/ari.toml`. */
export function writeConfig(dir: string, toml: string, repo: string, port: number, metricsPort: number): string {
  const config = join(dir, 'ari.toml');
  writeFileSync(config, toml.replaceAll('{{FIXTURES}}', join(repo, 'fixtures/agents')).replaceAll('{{PORT}}', String(port)).replaceAll('{{METRICS_PORT}}', String(metricsPort)));
  return config;
}

/** floor-server.ts on the same agent config (built from dist/, so after buildOnce). */
export async function startFloor(toml: string, parts?: string, env: Record<string, string> = {}): Promise<{ line: string; child: ChildProcess }> {
  buildOnce(REPO);
  const dir = mkdtempSync(join(tmpdir(), 'ari-floor-'));
  const config = writeConfig(dir, toml, REPO, await freePort(), await freePort());
  // The floor server removes `dir` when it ends.
  return runScript('floor-server.ts', [config, dir], { keep: true, env: { ...env, ...(parts !== undefined ? { FLOOR_PARTS: parts } : {}) } });
}

export interface ServedDaemon { address: string; pid: number; dir: string; stop(): Promise<void> }

/**
 * `ari serve` as its own process the way an operator starts it (the compiled dist/, see buildOnce): the default on-disk journal (under a private
 * XDG_STATE_HOME), info-level JSON logs to a file, no --listen tricks beyond a free loopback port. `nodeArgs` go to
 * node itself (e.g. --cpu-prof for the profile run); `repo` runs another checkout (a baseline) the same way; `env`
 * overrides the daemon's environment (the ablation bench's variants).
 */
export async function serveDaemon(toml: string, opts: { nodeArgs?: string[]; repo?: string; env?: Record<string, string> } = {}): Promise<ServedDaemon> {
  const repo = opts.repo ?? REPO;
  buildOnce(repo);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ARI_FROM_SOURCE;
  Object.assign(env, { ARI_LOG_LEVEL: 'info' }, opts.env);
  const dir = mkdtempSync(join(tmpdir(), 'ari-deployed-'));
  const port = await freePort();
  const metricsPort = await freePort();
  const config = writeConfig(dir, toml, repo, port, metricsPort);
  const log = join(dir, 'ari.log');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(repo, 'bin/ari.js'), 'serve', '--config', config], {
    cwd: repo,
    env: { ...env, XDG_STATE_HOME: join(dir, 'state') },
    stdio: ['ignore', fd, fd],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 600; i++) {
    if (readFileSync(log, 'utf8').includes('"ari serving"')) break;
    if (child.exitCode !== null) throw new Error(`ari serve exited: ${readFileSync(log, 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address: `127.0.0.1:${port}`, pid: child.pid!, dir,
    stop: async () => { child.kill('SIGTERM'); await exited; rmSync(dir, { recursive: true, force: true }); },
  };
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** On-CPU nanoseconds of every thread of `pid` now, by thread id (with its name), from /proc/<pid>/task/<tid>/schedstat. */
export function threadCpuNs(pid: number): Map<number, { comm: string; ns: number }> {
  const out = new Map<number, { comm: string; ns: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out.set(Number(tid), { comm: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), ns });
    } catch { /* the thread exited meanwhile */ }
  }
  return out;
}

/** CPU ns spent between two threadCpuNs() snapshots, summed per group: 'main' (tid = pid) or the thread's name. */
export function cpuSpent(pid: number, before: ReturnType<typeof threadCpuNs>, after: ReturnType<typeof threadCpuNs>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [tid, a] of after) {
    const key = tid === pid ? 'main' : a.comm;
    out.set(key, (out.get(key) ?? 0) + a.ns - (before.get(tid)?.ns ?? 0));
  }
  return out;
}
