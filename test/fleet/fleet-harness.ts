// A fleet for tests: one private PostgreSQL and N real `ari serve` children sharing it, each with its own dir, port and uids.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAri, type AriClient, type ConnectOptions } from '../../src/client/ari-client.js';
import { startChildDaemon, type ChildDaemon, type LogLine } from '../reliability/child-daemon.js';
import { MATH_AGENT_TOML, SLEEP_AGENT_TOML } from './fleet-agents.js';
import { startTestPostgres, type TestPostgres } from './pg-harness.js';

export const UID_STARTS = [2_400_000, 2_500_000, 2_600_000];
export const UID_COUNT = 16;
export const LEASE_MS = 3_000;

export interface MemberSpec {
  nativeConcurrency?: number;
  wasmConcurrency?: number;
  nativeQueue?: number;
  /** Lease (default LEASE_MS, short for the failure tests); a test that kills nobody can afford a loaded host's. */
  leaseMs?: number;
}

export interface Member {
  index: number;
  dir: string;
  toml: string;
  daemon: ChildDaemon;
  client: AriClient;
  /** Every log line of every incarnation of this member (a restart appends). */
  logs(): LogLine[];
}

export interface TestFleet {
  pg: TestPostgres;
  url: string;
  members: Member[];
  /** One client balancing over every member's address (grpc-js round_robin), retrying UNAVAILABLE. */
  balanced(opts?: ConnectOptions): AriClient;
  restart(i: number): Promise<Member>;
  stop(): Promise<void>;
}

function memberToml(url: string, dir: string, i: number, m: MemberSpec): string {
  return `
[server]
metrics = ""
shutdown_grace = "2s"
[storage]
url = "${url}"
path = "${dir}/data"
lease = "${m.leaseMs ?? LEASE_MS}ms"
poll = "1s"
[runtimes.wasm]
workers = 1
concurrency = ${m.wasmConcurrency ?? 2}
queue = 5000
[runtimes.native]
concurrency = ${m.nativeConcurrency ?? 2}
queue = ${m.nativeQueue ?? 5000}
uid_start = ${UID_STARTS[i]}
uid_count = ${UID_COUNT}
${MATH_AGENT_TOML}
${SLEEP_AGENT_TOML}`;
}

async function startMember(dir: string, toml: string, index: number, earlier: LogLine[] = []): Promise<Member> {
  const daemon = await startChildDaemon(dir, toml, { readyTimeoutMs: 90_000 });
  const client = daemon.client();
  return { index, dir, toml, daemon, client, logs: () => [...earlier, ...daemon.logs] };
}

/** Starts PostgreSQL (if not given), a fresh database, and one daemon per spec, all at once. */
export async function startFleet(specs: MemberSpec[], pg?: TestPostgres, db = `fleet${Date.now()}`): Promise<TestFleet> {
  const server = pg ?? await startTestPostgres();
  const url = await server.createDatabase(db);
  const root = mkdtempSync(join(tmpdir(), 'ari-fleet-'));
  const started = await Promise.allSettled(specs.map((spec, i) => {
    const dir = join(root, `m${i}`);
    mkdirSync(dir);
    return startMember(dir, memberToml(url, dir, i, spec), i);
  }));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    // Nothing may outlive a failed start: the members that did start, and the PostgreSQL this call started.
    await Promise.allSettled(started.map((s) => (s.status === 'fulfilled' ? s.value.daemon.kill('SIGKILL') : undefined)));
    if (!pg) server.destroy();
    throw (failed as PromiseRejectedResult).reason;
  }
  const members = started.map((s) => (s as PromiseFulfilledResult<Member>).value);
  const fleet: TestFleet = {
    pg: server, url, members,
    balanced: (opts) => connectAri(members.map((m) => m.daemon.address).join(','), opts),
    async restart(i) {
      const old = members[i]!;
      old.client.close();
      members[i] = await startMember(old.dir, old.toml, i, old.logs());
      return members[i]!;
    },
    async stop() {
      await Promise.allSettled(members.map(async (m) => { m.client.close(); await m.daemon.kill('SIGTERM'); }));
      if (!pg) server.destroy();
    },
  };
  return fleet;
}

export const sleepTask = (id: string, n: number, ms = 200) => ({ task_id: id, agent_id: 'sleep', capability: 'sleep', input: `{"n":${n},"ms":${ms}}` });

/** Which member logged "task started" for each id (several = ran twice). */
export function startedOn(members: Member[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of members) {
    for (const l of m.logs()) if (l.msg === 'task started' && l.task_id) out.set(l.task_id, [...(out.get(l.task_id) ?? []), m.index]);
  }
  return out;
}
