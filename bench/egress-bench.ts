// Egress proxy cost: a 10 MiB download and a small request through the proxy (HTTP forward, CONNECT tunnel) vs direct.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { EgressProxy } from '../src/egress/egress-proxy.js';
import { parseAllowList } from '../src/egress/policy.js';
import { fmt, percentile } from './stats.js';
import type { BenchSection } from './run.js';

const BIG_MIB = 10;
type Mode = 'direct' | 'forward' | 'tunnel' | 'relay';
const LABELS: Record<Mode, string> = {
  direct: 'direct', forward: 'proxy (HTTP forward)', tunnel: 'proxy (CONNECT tunnel)', relay: 'bare socket.pipe relay (reference)',
};

/** The floor of any userspace relay here: no parsing, no policy, no accounting — just a second hop. */
async function bareRelay(port: number) {
  const relay = createServer((c) => {
    const u = connect(port, '127.0.0.1');
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
    c.pipe(u);
    u.pipe(c);
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  return { port: (relay.address() as AddressInfo).port, close: () => relay.close() };
}

/** The upstream and the client run in a worker; each call is one fresh-connection GET timed there. */
async function startWorker() {
  const w = new Worker(new URL('./egress-bench-worker.mjs', import.meta.url));
  const [{ port }] = (await once(w, 'message')) as [{ port: number }];
  const get = async (mode: Mode, path: string, proxyPort: number): Promise<number> => {
    w.postMessage({ mode: mode === 'relay' ? 'forward' : mode, path, proxyPort });
    const [r] = (await once(w, 'message')) as [{ ms: number; bytes: number; error?: string }];
    if (r.error) throw new Error(r.error);
    return r.ms;
  };
  return { port, get, stop: () => w.terminate() };
}

export interface EgressBenchFigures { mibPerSec: Record<string, number>; p50Ms: Record<string, number> }

/** Paths are interleaved per round so a shared host's drifting load hits all of them alike. */
export async function runEgressBench(rounds = 10, small = 300): Promise<EgressBenchFigures> {
  const w = await startWorker();
  const proxy = new EgressProxy();
  const ep = await proxy.openSession('bench', parseAllowList([`127.0.0.1:${w.port}`]));
  const relay = await bareRelay(w.port);
  const modes: Mode[] = ['direct', 'forward', 'tunnel', 'relay'];
  const via = (m: Mode) => (m === 'relay' ? relay.port : ep.port);
  const big: Record<string, number[]> = {};
  const lat: Record<string, number[]> = {};
  try {
    for (const m of modes) await w.get(m, '/big', via(m)); // warm-up
    for (let r = 0; r < rounds; r++) for (const m of modes) (big[LABELS[m]] ??= []).push(await w.get(m, '/big', via(m)));
    for (let r = 0; r < small; r++) for (const m of modes) (lat[LABELS[m]] ??= []).push(await w.get(m, '/small', via(m)));
  } finally {
    await proxy.closeSession('bench');
    relay.close();
    await w.stop();
  }
  const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  return {
    mibPerSec: Object.fromEntries(Object.entries(big).map(([k, xs]) => [k, BIG_MIB / (med(xs) / 1000)])),
    p50Ms: Object.fromEntries(Object.entries(lat).map(([k, xs]) => [k, med(xs)])),
  };
}

/** The section for `npm run bench`. */
export async function egressSection(): Promise<BenchSection> {
  const f = await runEgressBench();
  const d = { tp: f.mibPerSec.direct!, p50: f.p50Ms.direct! };
  return {
    title: 'Egress proxy (10 MiB download, small-request latency)',
    headers: ['path', 'MiB/s (median of 10)', '× direct throughput', 'small GET p50 ms', 'added p50 ms'],
    rows: Object.keys(f.mibPerSec).map((k) => [k, fmt(f.mibPerSec[k]!, 0), fmt(f.mibPerSec[k]! / d.tp), fmt(f.p50Ms[k]!, 3), fmt(f.p50Ms[k]! - d.p50, 3)]),
    notes: [
      'All on 127.0.0.1; upstream and client share a worker thread, the proxy runs on the main thread (as in the daemon): the proxy\'s own cost, not a network\'s. Every GET opens a fresh connection; raw-socket client on every path.',
      'Added p50: a small GET (connect, request, response) through the proxy minus the same direct; includes the proxy\'s head parsing, policy and address checks, and the second TCP connect.',
      'Targets (issue 13): throughput ≥ 0.8× direct; added connect latency p50 ≤ 1 ms. The bare relay row is the floor of any userspace second hop on this host: compare the proxy rows with it to see the cost of parsing, policy and accounting.',
    ],
  };
}

if (process.argv[1]?.endsWith('egress-bench.ts')) {
  const f = await runEgressBench();
  console.log(JSON.stringify(f, null, 2));
}
