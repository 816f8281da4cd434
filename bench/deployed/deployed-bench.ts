// The deployed layout operators run: `ari serve` in its own process (default on-disk journal, info logs to a file),
// a bare grpc-js echo server in a second and the load generators in a third, interleaved rounds in one run.
import { execFileSync } from 'node:child_process';
import type { BenchSection } from '../run.js';
import { fmt } from '../stats.js';
import { cpuSpent, envFrom, rssMiB, runScript, serveDaemon, startFloor, threadCpuNs } from './processes.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEQ = Number(process.env.BENCH_SEQ ?? 2000);
const IN_FLIGHT = [1, 8, 64, 256];
const PAR = Number(process.env.BENCH_PAR ?? 4000);
const WARM_UP = 300;
/** Another checkout of ari (e.g. a copy taken before a change), run as a third process in the same rounds. */
const BASELINE = process.env.BENCH_BASELINE_REPO;
/** `NAME=value,…` set for this checkout's daemon only (not the baseline's), for A/B runs of a switch. */
const CANDIDATE_ENV = envFrom('BENCH_CANDIDATE_ENV');

export interface ClientReport { seq: { p50Ms: number; p99Ms: number }; par: Record<string, { throughput: number; clientUs: number; serverMainUs: number }>; calls: number }

export const serverToml = (agents: string) => `[server]\nlisten = "127.0.0.1:{{PORT}}"\nmetrics = "127.0.0.1:{{METRICS_PORT}}"\n` +
  `[runtimes.wasm]\nworkers = 2\nconcurrency = 64\nqueue = 10000\n${agents}`;
export const wasmAgent = (id: string) => `[[agents]]\nid = "${id}"\nruntime = "wasm"\nmodule = "{{FIXTURES}}/math/math.wasm"\nmanifest = "{{FIXTURES}}/math/manifest.json"\n`;

export async function load(target: string, agent: string, serverPid?: number): Promise<ClientReport> {
  const spec = IN_FLIGHT.map((n) => `${n}:${n === 1 ? Math.min(PAR, 1000) : PAR}`).join(',');
  const { line } = await runScript('load-client.ts', [target, agent, String(SEQ), spec, String(WARM_UP), ...(serverPid ? [String(serverPid)] : [])]);
  return JSON.parse(line) as ClientReport;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

/** At 64 in flight: client and server main-thread CPU per call, and the req/s the two would give in lock-step (one after the other). */
function lockStep(name: string, xs: ClientReport[]): string {
  const c = median(xs.map((x) => x.par[64]!.clientUs));
  const s = median(xs.map((x) => x.par[64]!.serverMainUs));
  return `${name} @64: client ${fmt(c, 0)} µs/call + server main thread ${fmt(s, 0)} µs/call → ${fmt(1e6 / (c + s), 0)} req/s if the two ran in lock-step, ${fmt(1e6 / Math.max(c, s), 0)} if fully overlapped; measured ${fmt(median(xs.map((x) => x.par[64]!.throughput)), 0)}`;
}

export async function deployedSection(): Promise<BenchSection> {
  const { line: echoAddress, child: echo } = await runScript('echo-server.ts', [], { keep: true });
  const ari = await serveDaemon(serverToml(wasmAgent('math')), { env: CANDIDATE_ENV });
  const base = BASELINE ? await serveDaemon(serverToml(wasmAgent('math')), { repo: BASELINE }) : undefined;
  const { line: floorAddress, child: floor } = await startFloor(serverToml(wasmAgent('math')));
  try {
    const fs: ClientReport[] = [];
    const es: ClientReport[] = [];
    const ws: ClientReport[] = [];
    const bs: ClientReport[] = [];
    const cpu: { main: number; rest: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      es.push(await load(echoAddress, 'math', echo.pid));
      fs.push(await load(floorAddress, 'math', floor.pid));
      if (base) bs.push(await load(base.address, 'math', base.pid));
      const before = threadCpuNs(ari.pid);
      ws.push(await load(ari.address, 'math', ari.pid));
      const spent = cpuSpent(ari.pid, before, threadCpuNs(ari.pid));
      const all = [...spent.values()].reduce((a, b) => a + b, 0);
      cpu.push({ main: (spent.get('main') ?? 0) / 1000 / ws[i]!.calls, rest: (all - (spent.get('main') ?? 0)) / 1000 / ws[i]!.calls });
    }
    const row = (name: string, xs: ClientReport[], ratio: boolean) => {
      const p50 = es.map((e, i) => xs[i]!.seq.p50Ms / e.seq.p50Ms);
      const thr = es.map((e, i) => xs[i]!.par[64]!.throughput / e.par[64]!.throughput);
      return [
        name, fmt(median(xs.map((x) => x.seq.p50Ms)), 3), fmt(median(xs.map((x) => x.seq.p99Ms)), 3),
        ...IN_FLIGHT.map((n) => fmt(median(xs.map((x) => x.par[n]!.throughput)), 0)),
        ratio ? `${fmt(median(p50))} (${range(p50)})` : '1.00',
        ratio ? `${fmt(median(thr))} (${range(thr)})` : '1.00',
      ];
    };
    return {
      title: 'Deployed: `ari serve` process (on-disk journal, info logs) vs bare grpc-js echo process, clients in other processes',
      headers: ['path', 'p50 ms (1 in flight)', 'p99 ms', ...IN_FLIGHT.map((n) => `req/s @${n}`), 'p50 ratio (median, range)', 'req/s @64 ratio'],
      rows: [
        row('gRPC echo (own process)', es, false),
        row('contract floor: admission, 2 durable writes, 2 log lines, fresh instance, full response (floor-server.ts)', fs, true),
        ...(base ? [row(`ari serve, wasm ExecuteTask — baseline (${BASELINE})`, bs, true)] : []),
        row('ari serve, wasm ExecuteTask', ws, true),
      ],
      notes: [
        'targets (issue 12): p50 ≤ 1.3× echo, throughput at 64 in flight ≥ 0.7× echo',
        `${ROUNDS} interleaved rounds; each round: ${WARM_UP} warm-up, ${SEQ} sequential, then ${PAR} calls at each of ${IN_FLIGHT.join('/')} in flight (1000 at 1), one fresh client process per round and server`,
        `daemon RSS after the run: ${fmt(rssMiB(ari.pid), 1)} MiB`,
        `daemon on-CPU µs per task (all phases of a round, /proc schedstat): main thread ${fmt(median(cpu.map((c) => c.main)), 0)}, other threads ${fmt(median(cpu.map((c) => c.rest)), 0)}`,
        'the floor row is a bare grpc-js server doing only what every task must (all in the request\'s turn, nothing shared between tasks): the part of ari\'s ratio no daemon design removes',
        lockStep('echo', es), lockStep('floor', fs), lockStep('ari', ws),
      ],
    };
  } finally {
    await ari.stop();
    await base?.stop();
    floor.kill('SIGTERM');
    echo.kill('SIGTERM');
  }
}

/** How the daemon's idle footprint grows with the number of agents it hosts. */
export async function footprintSection(): Promise<BenchSection> {
  const rows: (string | number)[][] = [];
  for (const n of [1, 10, 100]) {
    const d = await serveDaemon(serverToml(Array.from({ length: n }, (_, i) => wasmAgent(`math-${i}`)).join('')));
    await new Promise((r) => setTimeout(r, 2000));
    rows.push([n, fmt(rssMiB(d.pid), 1)]);
    await d.stop();
  }
  let docker = 'n/a';
  try {
    docker = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim();
  } catch { /* engine absent: the pooled-container row of the Docker section says so */ }
  return {
    title: 'Deployed: daemon RSS idle by number of wasm agents configured',
    headers: ['agents', 'daemon RSS MiB (2 s idle)'],
    rows,
    notes: [`each a copy of the MathAgent core module (compiled once per agent); Docker engine ${docker}`],
  };
}
