// The contract floor, part by part: the bare echo, then a bare grpc-js server adding one by one what every wasm task
// must do (floor-server.ts), then `ari serve`, interleaved in one run; what each part costs at p50 and at 64 in flight.
import type { BenchSection } from '../run.js';
import { fmt } from '../stats.js';
import { load, median, serverToml, wasmAgent, type ClientReport } from './deployed-bench.js';
import { runScript, serveDaemon, startFloor } from './processes.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

const LADDER: { name: string; parts: string }[] = [
  { name: 'floor server, echo response (its own code path, nothing else)', parts: '' },
  { name: '+ ari\'s full TaskResponse (limits, usage, output)', parts: 'response' },
  { name: '+ admission (JSON parse, schema, limits, request hash)', parts: 'response,admission' },
  { name: '+ fresh instance and run of the module (fuel, seed ABI)', parts: 'response,admission,run' },
  { name: '+ two durable write(2)s (accepted, outcome)', parts: 'response,admission,run,durable' },
  { name: '+ two task log lines = the contract floor', parts: 'response,admission,run,durable,logs' },
];

export async function floorSection(): Promise<BenchSection> {
  const toml = serverToml(wasmAgent('math'));
  const echo = await runScript('echo-server.ts', [], { keep: true });
  const ari = await serveDaemon(toml);
  const floors = [];
  for (const l of LADDER) floors.push(await startFloor(toml, l.parts));
  try {
    const es: ClientReport[] = [];
    const runs: ClientReport[][] = [...LADDER.map(() => []), []];
    for (let i = 0; i < ROUNDS; i++) {
      es.push(await load(echo.line, 'math'));
      for (const [j, f] of floors.entries()) runs[j]!.push(await load(f.line, 'math'));
      runs[LADDER.length]!.push(await load(ari.address, 'math'));
    }
    const p50 = (xs: ClientReport[]) => median(xs.map((x) => x.seq.p50Ms));
    const thr = (xs: ClientReport[]) => median(xs.map((x) => x.par[64]!.throughput));
    const rows = [['bare grpc-js echo', fmt(p50(es), 3), '', '1.00', fmt(thr(es), 0), '1.00']];
    let prev = es;
    for (const [j, xs] of runs.entries()) {
      const name = j < LADDER.length ? LADDER[j]!.name : '`ari serve` (the daemon: scheduler, lifecycle, journal, metrics, …)';
      rows.push([name, fmt(p50(xs), 3), fmt((p50(xs) - p50(prev)) * 1000, 0), fmt(p50(xs) / p50(es)), fmt(thr(xs), 0), fmt(thr(xs) / thr(es))]);
      prev = xs;
    }
    return {
      title: 'Deployed wasm path: the contract floor, part by part, vs the echo and `ari serve`, interleaved',
      headers: ['server', 'p50 ms (1 in flight)', 'µs of p50 the step adds', 'p50 ÷ echo', 'req/s @64', 'req/s @64 ÷ echo'],
      rows,
      notes: [
        `${ROUNDS} interleaved rounds, the same client as the deployed rows; medians. Each floor server is its own process, from ari's compiled dist/`,
        'a floor server does its parts in the request\'s own turn with no batching (a durable write per accepted task and per outcome), so at 64 in flight ari\'s grouped writes can beat it; at 1 in flight nothing can be grouped',
      ],
    };
  } finally {
    await ari.stop();
    for (const f of floors) f.child.kill('SIGTERM');
    echo.child.kill('SIGTERM');
  }
}
