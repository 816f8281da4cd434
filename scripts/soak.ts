// `npm run soak -- [--count 10000] [--minutes 5] [--concurrency 32] [--target host:port --token T] [--no-write]`
// Mixed good and hostile tasks on every available backend; reports lost / wrong / duplicates / leaks and records
// the result under "## Soak" in BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AriRpcError, connectAri, type AriClient } from '../src/client/ari-client.js';
import type { WireTaskResponse } from '../src/server/wire-types.js';
import { percentile } from '../bench/stats.js';
import { REPO, startChildDaemon, startsById, type ChildDaemon } from '../test/reliability/child-daemon.js';
import { ariContainers, leaked, sandboxProcesses, snapshot } from '../test/reliability/leaks.js';
import { capabilityOf, KINDS, picker, SOAK_UID_START, soakToml, type Backend, type SoakKind } from './soak-workload.js';

const { values } = parseArgs({ options: {
  count: { type: 'string', default: '10000' }, minutes: { type: 'string', default: '5' },
  concurrency: { type: 'string', default: '32' }, target: { type: 'string' }, token: { type: 'string' },
  'no-write': { type: 'boolean', default: false },
} });
const COUNT = Number(values.count);
const DEADLINE = Date.now() + Number(values.minutes) * 60_000;
const log = (s: string) => process.stderr.write(`soak: ${s}\n`);

function dockerImagesPresent(): boolean {
  if (ariContainers() === null) return false;
  try {
    execFileSync('docker', ['image', 'inspect', 'ari-fixtures/math:1', 'ari-fixtures/hostile:3'], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

const baseline = snapshot();
let daemon: ChildDaemon | undefined;
let target = values.target;
if (!target) {
  const docker = dockerImagesPresent();
  if (!docker) log('docker engine or fixture images (ari-fixtures/math:1, ari-fixtures/hostile:3) missing: docker tasks skipped (scripts/setup-host.sh, fixtures/agents/docker/build-images.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'ari-soak-'));
  daemon = await startChildDaemon(dir, soakToml({ storage: join(dir, 'data'), docker }), { readyTimeoutMs: 180_000 });
  target = daemon.address;
  log(`daemon pid ${daemon.pid} on ${target}`);
}
const connect = (): AriClient => connectAri(target!, { token: values.token });
const probe = connect();
const health = await probe.getHealth();
const hosted = new Set((await probe.listAgents()).map((a) => a.id));
const available = new Set(health.backends.filter((b) => b.available).map((b) => b.runtime as Backend));
const kinds = KINDS.filter((k) => available.has(k.backend) && hosted.has(k.agent));
const skipped = [...new Set(KINDS.filter((k) => !kinds.includes(k)).map((k) => k.backend))];
log(`backends: ${[...available].join(', ')}; ${kinds.length} task kinds${skipped.length ? `; skipped (unavailable): ${skipped.join(', ')}` : ''}`);
const pick = picker(kinds);
const rssBefore = daemon?.rssBytes();

interface Sent { n: number; kind: SoakKind; id: string; result?: WireTaskResponse; refused?: string }
const runId = `soak-${Date.now().toString(36)}`;
const sent: Sent[] = [];
const wrong: string[] = [];
const latency = new Map<string, number[]>();
const request = (s: Sent) => ({
  task_id: s.id, agent_id: s.kind.agent, capability: capabilityOf(s.kind, s.n),
  input: JSON.stringify(s.kind.input(s.n)), limits: s.kind.limits,
});

let next = 0;
const t0 = Date.now();
let lastReport = t0;
await Promise.all(Array.from({ length: Number(values.concurrency) }, async () => {
  const client = connect();
  while (next < COUNT && Date.now() < DEADLINE) {
    const n = next++;
    const s: Sent = { n, kind: pick(n), id: `${runId}-${n}` };
    sent.push(s);
    const start = performance.now();
    try {
      s.result = await client.executeTask(request(s), { deadlineMs: 120_000 });
      (latency.get(s.kind.name) ?? latency.set(s.kind.name, []).get(s.kind.name)!).push(performance.now() - start);
      const why = s.kind.check(s.result, n);
      if (why) wrong.push(`${s.id} ${s.kind.name}: ${why}`);
    } catch (e) {
      s.refused = e instanceof AriRpcError ? e.code : String(e);
    }
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log(`${sent.length} sent, ${wrong.length} wrong, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  client.close();
}));
const seconds = (Date.now() - t0) / 1000;

// Lost: an answered task the journal does not hold with that outcome, or a failed call whose task is stuck.
const lost: string[] = [];
for (const s of sent) {
  try {
    const r = await probe.getTask(s.id);
    if (r.status === 'QUEUED' || r.status === 'RUNNING') lost.push(`${s.id}: still ${r.status}`);
    else if (s.result && r.status !== s.result.status) lost.push(`${s.id}: answered ${s.result.status}, journal says ${r.status}`);
  } catch (e) {
    if (s.result) lost.push(`${s.id}: answered ${s.result.status}, GetTask ${(e as Error).message}`);
  }
}
// Duplicates: a retry of the same request must answer the recorded outcome without a new run.
const startsBeforeRetry = daemon ? daemon.logs.filter((l) => l.msg === 'task started').length : 0;
const retried = sent.filter((s) => s.result).filter((_, i) => i % 20 === 0);
const duplicates: string[] = [];
for (const s of retried) {
  const again = await probe.executeTask(request(s));
  if (again.status !== s.result!.status) duplicates.push(`${s.id}: retry answered ${again.status}, first ${s.result!.status}`);
}
if (daemon) {
  await new Promise((r) => setTimeout(r, 500));
  const retryStarts = daemon.logs.filter((l) => l.msg === 'task started').length - startsBeforeRetry;
  if (retryStarts) duplicates.push(`${retryStarts} retries started a new run`);
  for (const [id, k] of startsById(daemon.logs)) if (k > 1) duplicates.push(`${id} started ${k} times`);
}

// Leaks: no sandbox process may outlive its task; then nothing may outlive the daemon.
// With our own daemon, count only what is provably its own (its uid range, cgroups named after its pid, containers
// labelled with its id): other ari processes on the host (parallel test runs) come and go meanwhile.
const daemonId = daemon?.logs.find((l) => l.msg === 'ari serving')?.daemon_id as string | undefined;
const ours = (procs: ReturnType<typeof sandboxProcesses>) => procs.filter((p) => !daemon || (p.uid >= SOAK_UID_START && p.uid < SOAK_UID_START + 64));
const idleDeadline = Date.now() + 15_000;
while (ours(sandboxProcesses()).length && Date.now() < idleDeadline) await new Promise((r) => setTimeout(r, 500));
const whileIdle = ours(sandboxProcesses()).map((p) => `${p.pid} uid=${p.uid} ${p.cmd}`);
const rssAfter = daemon?.rssBytes();
probe.close();
const exit = await daemon?.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 1000));
const diff = leaked(baseline, snapshot());
const left = !daemon ? diff : {
  processes: ours(sandboxProcesses()).map((p) => `${p.pid} uid=${p.uid} ${p.cmd}`),
  cgroups: diff.cgroups.filter((c) => c.split('/').pop()!.startsWith(`ari-${daemon!.pid}.`)),
  containers: diff.containers && diff.containers.filter((c) => daemonId !== undefined && c.includes(daemonId)),
};

const refusedBy = new Map<string, number>();
for (const s of sent) if (s.refused) refusedBy.set(s.refused, (refusedBy.get(s.refused) ?? 0) + 1);
const byKind = [...new Set(kinds.map((k) => k.name))].map((name) => {
  const xs = (latency.get(name) ?? []).sort((a, b) => a - b);
  return `${name} ${xs.length} (p50 ${percentile(xs, 50).toFixed(0)} ms)`;
});
const hostile = sent.filter((s) => s.kind.hostile).length;
const mib = (b?: number) => (b === undefined ? 'n/a' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const lines = [
  `- ${new Date().toISOString().slice(0, 16)}Z, \`npm run soak -- --count ${COUNT} --minutes ${values.minutes} --concurrency ${values.concurrency}\`, ${cpus().length} cores, Node ${process.version}${values.target ? `, target ${values.target}` : ''}`,
  `- tasks: ${sent.length} in ${seconds.toFixed(0)} s (${(sent.length / seconds).toFixed(1)}/s); ${sent.length - hostile} good, ${hostile} hostile; backends ${[...available].join(', ')}${skipped.length ? ` (skipped: ${skipped.join(', ')})` : ''}`,
  `- **lost ${lost.length}, wrong ${wrong.length}, duplicates ${duplicates.length}** (${retried.length} retries checked), refused ${[...refusedBy].map(([c, k]) => `${c} ${k}`).join(', ') || '0'}`,
  `- **leaked: processes ${left.processes.length + whileIdle.length}, containers ${left.containers === null ? 'n/a (no docker)' : left.containers.length}, cgroups ${left.cgroups.length}**; daemon RSS ${mib(rssBefore)} → ${mib(rssAfter)}; exit ${exit ? exit.code ?? exit.signal : 'n/a'}`,
  `- per kind: ${byKind.join('; ')}`,
];
const detail = [...lost, ...wrong, ...duplicates, ...whileIdle.map((p) => `sandbox process alive while idle: ${p}`),
  ...left.processes.map((p) => `process left: ${p}`), ...(left.containers ?? []).map((c) => `container left: ${c}`), ...left.cgroups.map((c) => `cgroup left: ${c}`)];
process.stdout.write(`${lines.join('\n')}\n${detail.slice(0, 30).map((d) => `  ${d}`).join('\n')}\n`);

if (!values['no-write']) {
  const file = join(REPO, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# ari benchmarks\n';
  const section = `## Soak\n\n${lines.join('\n')}\n${detail.length ? `\nFirst problems:\n${detail.slice(0, 10).map((d) => `- ${d}`).join('\n')}\n` : ''}`;
  const re = /## Soak\n[\s\S]*?(?=\n## |$)/;
  writeFileSync(file, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}`);
  log(`recorded in ${file}`);
}
const bad = lost.length + wrong.length + duplicates.length + whileIdle.length + left.processes.length + (left.containers?.length ?? 0) + left.cgroups.length;
process.exit(bad ? 1 : 0);
