// Per-round A/B of two checkouts as deployed daemons, interleaved with the bare echo: p50 and main-thread CPU at 1 in
// flight, req/s and CPU at 64, and each round's candidate/baseline ratio (the host drifts between rounds; ratios
// within one round do not). Usage: BASE=<baseline checkout> [R=rounds SEQ=n PAR=n CAND=K=V,… BASEENV=K=V,…]
//   node --import tsx bench/deployed/ab-rounds.ts
import { envFrom, serveDaemon, runScript } from './processes.js';
import { serverToml, wasmAgent } from './deployed-bench.js';
const toml = serverToml(wasmAgent('math'));
const env = envFrom('CAND');
const envB = envFrom('BASEENV');
const echo = await runScript('echo-server.ts', [], { keep: true });
const base = await serveDaemon(toml, { repo: process.env.BASE ?? (() => { throw new Error('set BASE to the baseline checkout (e.g. a git worktree of the previous commit)'); })(), env: envB });
const cand = await serveDaemon(toml, { env });
const targets: [string, string, number][] = [['echo', echo.line, echo.child.pid!], ['base', base.address, base.pid], ['cand', cand.address, cand.pid]];
const acc: Record<string, number[][]> = {};
for (let round = 0; round < Number(process.env.R ?? 3); round++) for (const [name, addr, pid] of targets) {
  const { line } = await runScript('load-client.ts', [addr, 'math', process.env.SEQ ?? '1000', `1:1000,64:${process.env.PAR ?? 3000}`, '300', String(pid)]);
  const r = JSON.parse(line);
  (acc[name] ??= []).push([r.seq.p50Ms, r.par[1].serverMainUs, r.par[64].throughput, r.par[64].serverMainUs]);
  console.log(name.padEnd(6), 'p50', r.seq.p50Ms.toFixed(3), '@1 main µs', r.par[1].serverMainUs.toFixed(0), '| @64 req/s', r.par[64].throughput.toFixed(0), 'main µs', r.par[64].serverMainUs.toFixed(0));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratios = acc.cand!.map((c, i) => c[0]! / acc.base![i]![0]!);
console.log('per-round p50 cand/base', ratios.map((x) => x.toFixed(2)).join(' '), 'median', med(ratios).toFixed(3));
const tr = acc.cand!.map((c, i) => c[2]! / acc.base![i]![2]!);
console.log('per-round @64 cand/base', tr.map((x) => x.toFixed(2)).join(' '), 'median', med(tr).toFixed(3));
for (const [name, rows] of Object.entries(acc)) console.log('MEDIAN', name.padEnd(6), [0, 1, 2, 3].map((i) => med(rows.map((r) => r[i]!)).toFixed(i === 0 ? 3 : 0)).join('  '));
await base.stop(); await cand.stop(); echo.child.kill();
process.exit(0);
