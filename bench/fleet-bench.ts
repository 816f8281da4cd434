// Fleet benchmarks: a one-member fleet (PostgreSQL store) vs the same daemon on SQLite, and three members vs one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAri, type AriClient } from '../src/client/ari-client.js';
import { parseConfig } from '../src/config/load-config.js';
import { startDaemon, type DaemonHandle } from '../src/daemon.js';
import { silentLogger } from '../src/observability/logger.js';
import { MATH_AGENT_TOML, SLEEP_AGENT_TOML } from '../test/fleet/fleet-agents.js';
import { startTestPostgres, type TestPostgres } from '../test/fleet/pg-harness.js';
import type { BenchSection } from './run.js';
import { closedLoop, fmt, type LoadResult } from './stats.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'agents');
const SEQ = Number(process.env.BENCH_FLEET_SEQ ?? 1000);
const PAR = Number(process.env.BENCH_FLEET_PAR ?? 3000);
const SLEEPS = Number(process.env.BENCH_FLEET_SLEEPS ?? 120);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IN_FLIGHT = 64;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function daemon(storage: string, native: { concurrency: number; uidStart: number }): Promise<DaemonHandle> {
  const toml = `[storage]\n${storage}\n[runtimes.wasm]\nworkers = 2\nconcurrency = 64\nqueue = 10000\n` +
    `[runtimes.native]\nconcurrency = ${native.concurrency}\nqueue = 10000\nuid_start = ${native.uidStart}\nuid_count = 8\n` +
    MATH_AGENT_TOML.replaceAll('{{FIXTURES}}', FIX) + SLEEP_AGENT_TOML;
  const config = parseConfig(toml, 'fleet-bench.toml', FIX);
  config.server.listen = '127.0.0.1:0';
  config.server.metrics = null;
  return startDaemon({ config, logger: silentLogger });
}

const math = { agent_id: 'math', capability: 'arithmetic', input: JSON.stringify({ operation: 'multiply', operands: [7, 6] }) };

async function measure(c: AriClient): Promise<{ seq: LoadResult; par: LoadResult }> {
  const call = async () => {
    const r = await c.executeTask(math);
    if (r.status !== 'COMPLETED') throw new Error(`${r.status} ${r.error?.message}`);
  };
  await closedLoop(call, 300, 8);
  return { seq: await closedLoop(call, SEQ, 1), par: await closedLoop(call, PAR, IN_FLIGHT) };
}

/** SQLite and the one-member fleet are both up and measured alternately, so each ratio compares neighbours in time. */
async function oneMemberVsSqlite(pg: TestPostgres): Promise<(string | number)[][]> {
  const url = await pg.createDatabase(`bench${Date.now()}`);
  const sqlite = await daemon(`path = "${mkdtempSync(join(tmpdir(), 'ari-bench-'))}"`, { concurrency: 2, uidStart: 2_700_000 });
  const fleet = await daemon(`url = "${url}"\npath = "${mkdtempSync(join(tmpdir(), 'ari-bench-'))}"`, { concurrency: 2, uidStart: 2_800_000 });
  const [sc, fc] = [connectAri(sqlite.address), connectAri(fleet.address)];
  try {
    const s: Awaited<ReturnType<typeof measure>>[] = [];
    const f: typeof s = [];
    for (let i = 0; i < ROUNDS; i++) {
      s.push(await measure(sc));
      f.push(await measure(fc));
    }
    const row = (name: string, xs: typeof s, ratio: string) => [name, fmt(median(xs.map((x) => x.seq.p50Ms)), 3),
      fmt(median(xs.map((x) => x.seq.p99Ms)), 3), fmt(median(xs.map((x) => x.par.throughput)), 0), ratio];
    const dp50 = median(f.map((x, i) => x.seq.p50Ms - s[i]!.seq.p50Ms));
    const thr = median(f.map((x, i) => x.par.throughput / s[i]!.par.throughput));
    return [
      row('wasm ExecuteTask, SQLite journal', s, '—'),
      row('wasm ExecuteTask, one-member fleet (PostgreSQL)', f, `p50 ${dp50 >= 0 ? '+' : ''}${fmt(dp50, 3)} ms, throughput ${fmt(thr)}×`),
    ];
  } finally {
    sc.close();
    fc.close();
    await fleet.stop();
    await sqlite.stop();
  }
}

async function sleepThroughput(addresses: string[]): Promise<number> {
  const c = connectAri(addresses.join(','));
  const run = `s${Date.now().toString(36)}`;
  let n = 0;
  try {
    const r = await closedLoop(async () => {
      const i = n++;
      const res = await c.executeTask({ task_id: `${run}-${i}`, agent_id: 'sleep', capability: 'sleep', input: `{"n":${i},"ms":200}` });
      if (res.status !== 'COMPLETED') throw new Error(`${res.status} ${res.error?.message}`);
    }, SLEEPS, 24);
    return r.throughput;
  } finally {
    c.close();
  }
}

/** Capacity-bound (200 ms sleeps, 2 slots per member): three members should give about three times one. */
async function threeVsOne(pg: TestPostgres): Promise<(string | number)[][]> {
  const url = await pg.createDatabase(`bench3${Date.now()}`);
  const members = await Promise.all([0, 1, 2].map((i) => daemon(`url = "${url}"\npath = "${mkdtempSync(join(tmpdir(), 'ari-bench-'))}"`, { concurrency: 2, uidStart: 2_400_000 + i * 100_000 })));
  try {
    const three = await sleepThroughput(members.map((m) => m.address));
    await Promise.all(members.slice(1).map((m) => m.stop()));
    const one = await sleepThroughput([members[0]!.address]);
    return [
      ['native 200 ms sleep, one member (2 slots)', fmt(one, 1), '1.00'],
      ['native 200 ms sleep, three members (2 slots each)', fmt(three, 1), fmt(three / one)],
    ];
  } finally {
    await members[0]!.stop();
  }
}

export async function fleetSection(): Promise<BenchSection> {
  const pg = await startTestPostgres();
  try {
    const latency = await oneMemberVsSqlite(pg);
    const capacity = await threeVsOne(pg);
    return {
      title: 'Fleet: one-member fleet vs SQLite (wasm), three members vs one (native sleeps)',
      headers: ['path', 'p50 ms (1 in flight) / throughput /s', 'p99 ms', `throughput /s (${IN_FLIGHT} in flight)`, 'vs baseline'],
      rows: [...latency, ...capacity.map(([name, thr, ratio]) => [name!, `${thr}/s`, '—', '—', `${ratio}×`])],
      notes: [
        'targets: one-member fleet p50 within +1 ms of SQLite and throughput ≥ 0.8×; three members ≥ 2.7× one member',
        `PostgreSQL 15 from the test harness (unix socket, fsync off); ${ROUNDS} alternating rounds of ${SEQ} sequential + ${PAR} concurrent calls; ${SLEEPS} sleep tasks 24 in flight`,
      ],
    };
  } finally {
    pg.destroy();
  }
}
