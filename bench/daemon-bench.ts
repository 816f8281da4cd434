// Daemon-level benchmarks: wasm ExecuteTask vs a bare gRPC echo, and component vs core-module MathAgent.
import { join } from 'node:path';
import { connectAri, type AriClient } from '../src/client/ari-client.js';
import { parseConfig } from '../src/config/load-config.js';
import { startDaemon } from '../src/daemon.js';
import { silentLogger } from '../src/observability/logger.js';
import type { BenchSection } from './run.js';
import { startEchoServer } from './grpc-echo.js';
import { closedLoop, fmt } from './stats.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'agents');
const SEQ = Number(process.env.BENCH_SEQ ?? 2000);
const PAR = Number(process.env.BENCH_PAR ?? 6000);
const IN_FLIGHT = 64;

const task = (agent: string) => ({
  agent_id: agent, capability: 'arithmetic', input: JSON.stringify({ operation: 'multiply', operands: [7, 6] }),
});

async function withDaemon<T>(agents: string, f: (c: AriClient) => Promise<T>): Promise<T> {
  const toml = `[runtimes.wasm]\nworkers = 2\nconcurrency = 64\nqueue = 10000\n${agents}`;
  const config = parseConfig(toml, 'bench.toml', FIX);
  config.server.listen = '127.0.0.1:0';
  config.server.metrics = null;
  const d = await startDaemon({ config, logger: silentLogger });
  const c = connectAri(d.address);
  try {
    return await f(c);
  } finally {
    c.close();
    await d.stop();
  }
}

async function measure(c: AriClient, agent: string) {
  const call = async () => {
    const r = await c.executeTask(task(agent));
    if (r.status !== 'COMPLETED') throw new Error(`${agent}: ${r.status} ${r.error?.message}`);
  };
  await closedLoop(call, 300, 8); // warm-up
  const seq = await closedLoop(call, SEQ, 1);
  const par = await closedLoop(call, PAR, IN_FLIGHT);
  return { seq, par };
}

const agent = (id: string, module: string) =>
  `[[agents]]\nid = "${id}"\nruntime = "wasm"\nmodule = "${module}"\nmanifest = "math/manifest.json"\n`;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

/**
 * Echo and ari are both up and measured alternately, ROUNDS times: on a shared host the load drifts within
 * seconds, so each ratio compares neighbours in time, and the median ratio is reported with its range.
 */
async function wasmVsEcho(): Promise<BenchSection> {
  const echo = await startEchoServer();
  const ec = connectAri(echo.address);
  try {
    return await withDaemon(agent('math', 'math/math.wasm'), async (c) => {
      const es: Awaited<ReturnType<typeof measure>>[] = [];
      const ws: typeof es = [];
      for (let i = 0; i < ROUNDS; i++) {
        es.push(await measure(ec, 'math'));
        ws.push(await measure(c, 'math'));
      }
      const p50 = es.map((e, i) => ws[i]!.seq.p50Ms / e.seq.p50Ms);
      const thr = es.map((e, i) => ws[i]!.par.throughput / e.par.throughput);
      const row = (name: string, xs: typeof es, ratios: string[]) => [name, fmt(median(xs.map((x) => x.seq.p50Ms)), 3),
        fmt(median(xs.map((x) => x.seq.p99Ms)), 3), fmt(median(xs.map((x) => x.par.throughput)), 0), ...ratios];
      return {
        title: 'wasm: ExecuteTask (trivial math task, warm agent) vs bare gRPC echo',
        headers: ['path', 'p50 ms (1 in flight)', 'p99 ms', `throughput /s (${IN_FLIGHT} in flight)`, 'p50 ratio (median, range)', 'throughput ratio (median, range)'],
        rows: [
          row('gRPC echo', es, ['1.00', '1.00']),
          row('ari wasm ExecuteTask', ws, [`${fmt(median(p50))} (${range(p50)})`, `${fmt(median(thr))} (${range(thr)})`]),
        ],
        notes: [
          'targets: p50 ≤ 1.3× echo, throughput ≥ 0.7× echo',
          `${ROUNDS} alternating rounds of ${SEQ} sequential + ${PAR} concurrent calls each after warm-up; absolute figures are medians over rounds`,
        ],
      };
    });
  } finally {
    ec.close();
    echo.stop();
  }
}

async function componentVsCore(): Promise<BenchSection> {
  const agents = agent('math', 'math/math.wasm') + agent('math-component', 'components/math-command.wasm');
  const [core, comp] = await withDaemon(agents, async (c) => [await measure(c, 'math'), await measure(c, 'math-component')]);
  return {
    title: 'wasm components: component MathAgent vs core-module MathAgent through ExecuteTask',
    headers: ['agent', 'p50 ms', 'p99 ms', `throughput /s (${IN_FLIGHT} in flight)`, 'p50 ratio'],
    rows: [
      ['core module', fmt(core.seq.p50Ms, 3), fmt(core.seq.p99Ms, 3), fmt(core.par.throughput, 0), '1.00'],
      ['component (jco)', fmt(comp.seq.p50Ms, 3), fmt(comp.seq.p99Ms, 3), fmt(comp.par.throughput, 0), fmt(comp.seq.p50Ms / core.seq.p50Ms)],
    ],
    notes: ['target: component ≤ 2× the core module at p50'],
  };
}

const guard = (title: string, f: () => Promise<BenchSection>) => async (): Promise<BenchSection> => {
  try {
    return await f();
  } catch (e) {
    return { title, headers: ['status'], rows: [[`not run: ${(e as Error).message.split('\n')[0]}`]] };
  }
};

export const sections: [string, () => Promise<BenchSection>][] = [
  ['wasm', guard('wasm vs echo', wasmVsEcho)],
  ['component', guard('component vs core', componentVsCore)],
];
