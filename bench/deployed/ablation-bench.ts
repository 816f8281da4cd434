// Where the deployed wasm path's wall time goes, by taking parts away: the same `ari serve` without its on-disk
// journal, without its info logs, and without either, interleaved with the echo in one run (issue 12's breakdown).
import type { BenchSection } from '../run.js';
import { fmt } from '../stats.js';
import { load, median, serverToml, wasmAgent, type ClientReport } from './deployed-bench.js';
import { runScript, serveDaemon, type ServedDaemon } from './processes.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Variant { name: string; storage: string; env: Record<string, string> }

const VARIANTS: Variant[] = [
  { name: 'ari serve as deployed (SQLite journal, info logs)', storage: '', env: {} },
  { name: 'journal in memory (`[storage] path = ""`)', storage: '[storage]\npath = ""\n', env: {} },
  { name: 'no task log lines (ARI_LOG_LEVEL=warn)', storage: '', env: { ARI_LOG_LEVEL: 'warn' } },
  { name: 'journal in memory and no task log lines', storage: '[storage]\npath = ""\n', env: { ARI_LOG_LEVEL: 'warn' } },
  { name: 'every task on a worker thread (ARI_WASM_INLINE=0)', storage: '', env: { ARI_WASM_INLINE: '0' } },
  { name: 'the TypeScript sources through tsx, not dist/ (ARI_FROM_SOURCE=1)', storage: '', env: { ARI_FROM_SOURCE: '1' } },
];

export async function ablationSection(): Promise<BenchSection> {
  const { line: echoAddress, child: echo } = await runScript('echo-server.ts', [], { keep: true });
  const daemons: ServedDaemon[] = [];
  try {
    for (const v of VARIANTS) daemons.push(await serveDaemon(v.storage + serverToml(wasmAgent('math')), { env: v.env }));
    const echoes: ClientReport[] = [];
    const runs: ClientReport[][] = VARIANTS.map(() => []);
    for (let i = 0; i < ROUNDS; i++) {
      echoes.push(await load(echoAddress, 'math'));
      for (const [j, d] of daemons.entries()) runs[j]!.push(await load(d.address, 'math'));
    }
    const p50 = (xs: ClientReport[]) => median(xs.map((x) => x.seq.p50Ms));
    const thr = (xs: ClientReport[]) => median(xs.map((x) => x.par[64]!.throughput));
    const full = runs[0]!;
    const rows = [['bare grpc-js echo', fmt(p50(echoes), 3), '', fmt(thr(echoes), 0), '']];
    for (const [j, v] of VARIANTS.entries()) {
      const xs = runs[j]!;
      const saved = j === 0 ? '' : fmt((p50(full) - p50(xs)) * 1000, 0);
      rows.push([v.name, fmt(p50(xs), 3), saved, fmt(thr(xs), 0), fmt(thr(xs) / thr(echoes), 2)]);
    }
    return {
      title: 'Deployed wasm path by ablation: `ari serve` variants vs the bare echo, interleaved',
      headers: ['server', 'p50 ms (1 in flight)', 'µs of p50 the part costs', 'req/s @64', 'req/s @64 ÷ echo'],
      rows,
      notes: [
        `${ROUNDS} interleaved rounds, the same client as the deployed rows (300 warm-up, sequential, then 1/8/64/256 in flight); medians`,
        'the journal and the logs are not optional in a deployment: these rows say what each costs, not what to turn off',
      ],
    };
  } finally {
    for (const d of daemons) await d.stop();
    echo.kill('SIGTERM');
  }
}
