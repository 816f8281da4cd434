// Closed-loop load on a real `ari serve`: N clients × M MathAgent tasks across backends, every answer checked.
// `node --import tsx bench/load.ts [--clients 100] [--tasks 50] [--agents math,math-native] [--target host:port]`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { connectAri, type AriClient } from '../src/client/ari-client.js';
import { startChildDaemon } from '../test/reliability/child-daemon.js';
import { mathTask, sameNumber } from '../test/reliability/math-workload.js';
import { fmt, percentile } from './stats.js';
import { MATH_WASM_AND_NATIVE } from '../test/helpers/agents-toml.js';

export interface LoadOptions {
  clients: number;
  tasksPerClient: number;
  /** Agent ids hosting the MathAgent; task i goes to agents[i % agents.length]. */
  agents: string[];
  /** Distinguishes task ids across runs against the same daemon. */
  runId?: string;
}

export interface LoadReport {
  total: number;
  completed: number;
  wrong: string[];
  refused: string[];
  seconds: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  perAgent: Record<string, { count: number; p50Ms: number; p99Ms: number }>;
}

/** Each client has its own channel and keeps one ExecuteTask in flight, as separate orchestrators would. */
export async function runMathLoad(connect: () => AriClient, o: LoadOptions): Promise<LoadReport> {
  const runId = o.runId ?? `load-${process.pid}-${Date.now().toString(36)}`;
  const lat: number[] = [];
  const byAgent = new Map<string, number[]>();
  const wrong: string[] = [];
  const refused: string[] = [];
  let completed = 0;
  const clients = Array.from({ length: o.clients }, connect);
  const t0 = performance.now();
  await Promise.all(clients.map(async (client, c) => {
    for (let i = 0; i < o.tasksPerClient; i++) {
      const n = c * o.tasksPerClient + i;
      const agent = o.agents[n % o.agents.length]!;
      const t = mathTask(n);
      const s = performance.now();
      try {
        const r = await client.executeTask({ task_id: `${runId}-${n}`, agent_id: agent, capability: t.capability, input: JSON.stringify(t.input) });
        const ms = performance.now() - s;
        lat.push(ms);
        (byAgent.get(agent) ?? byAgent.set(agent, []).get(agent)!).push(ms);
        const out = r.status === 'COMPLETED' ? (JSON.parse(r.output.toString()) as { result: unknown }).result : undefined;
        if (r.status === 'COMPLETED' && sameNumber(out, t.expected)) completed++;
        else wrong.push(`${agent} #${n}: ${r.status} ${r.error?.code ?? ''} ${r.error?.message ?? JSON.stringify(out)} (expected ${t.expected})`);
      } catch (e) {
        refused.push(`${agent} #${n}: ${(e as Error).message}`);
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  for (const c of clients) c.close();
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const all = sorted(lat);
  const perAgent: LoadReport['perAgent'] = {};
  for (const [a, xs] of byAgent) {
    const s = sorted(xs);
    perAgent[a] = { count: s.length, p50Ms: percentile(s, 50), p99Ms: percentile(s, 99) };
  }
  const total = o.clients * o.tasksPerClient;
  return { total, completed, wrong, refused, seconds, throughput: total / seconds, p50Ms: percentile(all, 50), p99Ms: percentile(all, 99), maxMs: all.at(-1) ?? NaN, perAgent };
}

export function describeLoad(r: LoadReport): string {
  const agents = Object.entries(r.perAgent).map(([a, s]) => `${a}: ${s.count} tasks, p50 ${fmt(s.p50Ms)} ms, p99 ${fmt(s.p99Ms)} ms`).join('; ');
  return `${r.completed}/${r.total} correct in ${fmt(r.seconds)} s = ${fmt(r.throughput, 0)} tasks/s; p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms, max ${fmt(r.maxMs)} ms (${agents}); wrong ${r.wrong.length}, refused ${r.refused.length}`;
}

/** A daemon hosting the MathAgent on wasm and native, with queues deep enough for every client. */
export function loadDaemonToml(opts: { uidStart?: number; storage?: string } = {}): string {
  return `
[server]
metrics = ""
[storage]
path = "${opts.storage ?? ''}"
[runtimes.wasm]
workers = 2
concurrency = 2
queue = 10000
[runtimes.native]
concurrency = 4
queue = 10000
uid_start = ${opts.uidStart ?? 2_200_000}
uid_count = 16

${MATH_WASM_AND_NATIVE}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    clients: { type: 'string', default: '100' }, tasks: { type: 'string', default: '50' },
    agents: { type: 'string', default: 'math,math-native' }, target: { type: 'string' }, token: { type: 'string' },
  } });
  const dir = mkdtempSync(join(tmpdir(), 'ari-load-'));
  const daemon = values.target ? undefined : await startChildDaemon(dir, loadDaemonToml({ storage: join(dir, 'data') }));
  const target = values.target ?? daemon!.address;
  const rss = () => (daemon ? `${fmt(daemon.rssBytes() / 2 ** 20, 1)} MiB` : 'n/a');
  const before = rss();
  const r = await runMathLoad(() => connectAri(target, { token: values.token }), { clients: Number(values.clients), tasksPerClient: Number(values.tasks), agents: values.agents!.split(',') });
  await new Promise((res) => setTimeout(res, 2000));
  console.log(`load: ${describeLoad(r)}; daemon RSS ${before} → ${rss()}`);
  for (const w of [...r.wrong, ...r.refused].slice(0, 10)) console.log(`  ${w}`);
  await daemon?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  process.exit(r.wrong.length + r.refused.length ? 1 : 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
