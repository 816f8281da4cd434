// The per-task cost breakdown of the deployed wasm path: `ari serve` with its main thread's CPU profiler switched on
// for each measured phase only (profile-preload.mjs), a load client in its own process, one phase at 1 in flight and
// one at 64; the samples are split into stages (cpu-profile.ts), and every thread's on-CPU time is read from /proc.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchSection } from '../run.js';
import { fmt } from '../stats.js';
import { IDLE_STAGES, stageTimes, type CpuProfile } from './cpu-profile.js';
import { serverToml, wasmAgent } from './deployed-bench.js';
import { cpuSpent, runScript, serveDaemon, startFloor, threadCpuNs } from './processes.js';

const SEQ = Number(process.env.BENCH_PROFILE_SEQ ?? 3000);
const PAR = Number(process.env.BENCH_PROFILE_PAR ?? 6000);
/** Sampling interval in µs (V8's default is 1000: too coarse for stages of a few µs per task). */
const INTERVAL_US = Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 100);
/** Profile another checkout (e.g. a copy taken before a change) instead of this one. */
const REPO_UNDER_TEST = process.env.BENCH_PROFILE_REPO;

interface Phase { name: string; calls: number; fromUs: number; toUs: number; cpu: Map<string, number>; report: string; profile?: CpuProfile }

async function until(file: string): Promise<void> {
  for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(file)) throw new Error(`the profiled daemon never wrote ${file}`);
}

let profiles = 0;
async function phase(address: string, pid: number, out: string | undefined, name: string, seq: number, par: string, warm = 0): Promise<Phase> {
  const n = profiles;
  if (out) {
    profiles++;
    process.kill(pid, 'SIGUSR2');
    await until(`${out}-${n}.started`);
  }
  const before = threadCpuNs(pid);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const { line } = await runScript('load-client.ts', [address, 'math', String(seq), par, String(warm)]);
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const cpu = cpuSpent(pid, before, threadCpuNs(pid));
  let profile: CpuProfile | undefined;
  if (out) {
    process.kill(pid, 'SIGUSR2');
    await until(`${out}-${n}.cpuprofile`);
    profile = JSON.parse(readFileSync(`${out}-${n}.cpuprofile`, 'utf8')) as CpuProfile;
  }
  const report = JSON.parse(line) as { calls: number; seq: { p50Ms: number }; par: Record<string, { throughput: number }> };
  const summary = seq ? `p50 ${fmt(report.seq.p50Ms, 3)} ms` : `${fmt(Object.values(report.par)[0]!.throughput, 0)} req/s`;
  return { name, calls: report.calls, fromUs, toUs, cpu, report: summary, profile };
}

/** One row per stage, heaviest first (idle last), then the busy total; with the floor's two phases, ari minus floor. */
function stageRows(profiled: Phase[], per: Map<string, number>[]): string[][] {
  const stages = [...new Set(per.flatMap((t) => [...t.keys()]))];
  const us = (m: Map<string, number>, s: string, calls: number) => (m.get(s) ?? 0) / calls;
  const weight = (s: string) => per.reduce((acc, t, i) => acc + us(t, s, profiled[i]!.calls), 0);
  stages.sort((a, b) => Number(IDLE_STAGES.has(a)) - Number(IDLE_STAGES.has(b)) || weight(b) - weight(a));
  const busy = (m: Map<string, number>, calls: number) => [...m].filter(([s]) => !IDLE_STAGES.has(s)).reduce((a, [, v]) => a + v, 0) / calls;
  const values = [...stages.map((s) => per.map((t, i) => us(t, s, profiled[i]!.calls))), per.map((t, i) => busy(t, profiled[i]!.calls))];
  return values.map((v, r) => [r < stages.length ? stages[r]! : '**busy total (profile)**', ...v.map((x) => fmt(x, 1)),
    ...(v.length === 4 ? [fmt(v[0]! - v[2]!, 1), fmt(v[1]! - v[3]!, 1)] : [])]);
}

/**
 * The contract floor (floor-server.ts) profiled the same way, beside ari: what ari's stages cost above what every
 * task must do. The floor's own code (its one handler) falls under "other JS".
 */
async function floorPhases(dir: string): Promise<Phase[]> {
  profiles = 0;
  const out = join(dir, 'floor');
  const floor = await startFloor(serverToml(wasmAgent('math')), undefined, {
    NODE_OPTIONS: `--import ${join(import.meta.dirname, 'profile-preload.mjs')}`, ARI_PROFILE_OUT: out, ARI_PROFILE_INTERVAL_US: String(INTERVAL_US),
  });
  const pid = floor.child.pid!;
  try {
    await phase(floor.line, pid, undefined, 'warm-up', 0, '8:2000', 300);
    return [await phase(floor.line, pid, out, '1 in flight, contract floor', SEQ, '', 0), await phase(floor.line, pid, out, '64 in flight, contract floor', 0, `64:${PAR}`, 0)];
  } finally {
    floor.child.kill('SIGTERM');
  }
}

export async function profileSection(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'ari-profile-'));
  process.env.ARI_PROFILE_OUT = join(dir, 'main');
  process.env.ARI_PROFILE_INTERVAL_US = String(INTERVAL_US);
  // BENCH_PROFILE_BARE=1: journal in memory and no task log lines, to see what the rest of the path costs.
  const bare = process.env.BENCH_PROFILE_BARE === '1';
  const ari = await serveDaemon((bare ? '[storage]\npath = ""\n' : '') + serverToml(wasmAgent('math')), {
    ...(bare ? { env: { ARI_LOG_LEVEL: 'warn' } } : {}),
    repo: REPO_UNDER_TEST, nodeArgs: ['--import', join(import.meta.dirname, 'profile-preload.mjs')],
  });
  delete process.env.ARI_PROFILE_OUT;
  const phases: Phase[] = [];
  try {
    await phase(ari.address, ari.pid, undefined, 'warm-up', 0, '8:2000', 300);
    // Unprofiled first: the on-CPU figures without the profiler's own cost.
    phases.push(await phase(ari.address, ari.pid, undefined, '1 in flight, no profiler', SEQ, '', 0));
    phases.push(await phase(ari.address, ari.pid, undefined, '64 in flight, no profiler', 0, `64:${PAR}`, 0));
    phases.push(await phase(ari.address, ari.pid, join(dir, 'main'), '1 in flight', SEQ, '', 0));
    phases.push(await phase(ari.address, ari.pid, join(dir, 'main'), '64 in flight', 0, `64:${PAR}`, 0));
  } finally {
    await ari.stop();
  }
  if (!REPO_UNDER_TEST && !bare) phases.push(...await floorPhases(dir));
  const profiled = phases.filter((p) => p.profile);
  const per = profiled.map((p) => stageTimes(p.profile!, -Infinity, Infinity));
  const rows = stageRows(profiled, per);
  const cpuRow = (p: Phase) => [...p.cpu].sort((a, b) => b[1] - a[1]).map(([k, ns]) => `${k} ${fmt(ns / 1000 / p.calls, 1)}`).join(', ');
  writeFileSync(join(dir, 'breakdown.json'), JSON.stringify({
    phases: phases.map((p) => ({ ...p, profile: undefined, cpu: Object.fromEntries(p.cpu) })),
    stages: profiled.map((p, i) => ({ phase: p.name, us: Object.fromEntries(per[i]!) })),
  }, null, 1));
  return {
    title: 'Deployed wasm path: main-thread cost per task by stage (µs per task, CPU profile of the `ari serve` main thread)',
    headers: ['stage', ...profiled.map((p) => `main thread @${p.name}`), ...(profiled.length === 4 ? ['ari − floor @1', 'ari − floor @64'] : [])],
    rows,
    notes: [
      ...phases.map((p) => `${p.name}: ${p.calls} tasks in ${fmt((p.toUs - p.fromUs) / 1e6, 1)} s (${p.report}); on-CPU µs per task by thread (/proc schedstat): ${cpuRow(p)}`),
      `main thread sampled every ${INTERVAL_US} µs during the profiled phases only; each sample is charged to the deepest frame a stage owns (bench/deployed/cpu-profile.ts); idle rows are time, not CPU`,
      `tree profiled: ${REPO_UNDER_TEST ?? 'this checkout'}; profiles and breakdown.json kept in ${dir}`,
    ],
  };
}
