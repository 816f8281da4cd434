// Where a Docker task's time goes: DockerRuntime.execute (pooled and cold) with every engine call and stream event
// timestamped, containerd's own task events alongside (`ctr events`), and `docker run` for reference.
// Run: node --import tsx bench/docker-stages.ts [n]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LIMITS, type Limits } from '../src/contract/limits.js';
import type { ExecutionTask } from '../src/contract/agent.js';
import type { ContainerClient, ContainerIo } from '../src/runtimes/docker/container-client.js';
import type { DockerAgentSpec } from '../src/runtimes/docker/agent-spec.js';
import { DockerRuntime } from '../src/runtimes/docker/docker-runtime.js';
import { DockerodeClient } from '../src/runtimes/docker/dockerode-client.js';
import { ensureImage, FIXTURE_IMAGES_DIR } from '../src/runtimes/docker/image-builder.js';
import { fmt, percentile } from './stats.js';

const IMAGE = 'ari-fixtures/math:1';
const LIMITS: Limits = { ...DEFAULT_LIMITS, memoryBytes: 64 << 20, pids: 64 };
/** Where dockerd keeps the containerd it manages (a system containerd is at /run/containerd). */
const CONTAINERD_SOCKETS = ['/var/run/docker/containerd/containerd.sock', '/run/containerd/containerd.sock'];

/** One timestamped event (performance.now() ms) of one container. */
type Marks = Map<string, number>;

/** ContainerClient that records when each call and stream event of each container happens. */
function timedClient(inner: ContainerClient, marks: (id: string) => Marks, pending: Marks): ContainerClient {
  const mark = (id: string | undefined, name: string) => (id ? marks(id) : pending).set(name, performance.now());
  const wrapIo = (id: string, io: ContainerIo): ContainerIo => {
    const end = io.stdin.end.bind(io.stdin) as (...a: unknown[]) => typeof io.stdin;
    io.stdin.end = ((...a: unknown[]) => { mark(id, 'stdin written'); return end(...a); }) as typeof io.stdin.end;
    io.stdout.once('data', () => mark(id, 'first stdout byte'));
    io.stdout.once('end', () => mark(id, 'attach stream ended'));
    return io;
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        const id = typeof args[0] === 'string' ? args[0] : undefined;
        const op = String(prop);
        if (op === 'create') pending.clear();
        mark(id, `${op} sent`);
        const r = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (op === 'create') { for (const [k, t] of pending) marks(r as string).set(k, t); pending.clear(); }
        mark(op === 'create' ? (r as string) : id, `${op} answered`);
        if (op === 'attach') return wrapIo(id!, r as ContainerIo);
        if (op === 'watchExit') void (r as { exited: Promise<number> }).exited.then(() => mark(id, 'exit status known'), () => {});
        return r;
      };
    },
  });
}

/** containerd's task events for every container (`ctr events`), by container id, in the performance.now() clock. */
function containerdEvents(marks: (id: string) => Marks): ChildProcess | undefined {
  const address = CONTAINERD_SOCKETS.find(existsSync);
  if (!address) return undefined;
  const p = spawn('ctr', ['--address', address, '-n', 'moby', 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let buf = '';
  p.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) {
      // "2026-12-02 04:35:46.368704108 +0000 UTC moby /tasks/exit {...}"
      const m = /^(\S+) (\d\d:\d\d:\d\d)\.(\d+) \+0000 UTC \S+ (\/tasks\/\w+|\/containers\/\w+) (\{.*\})$/.exec(line);
      if (!m) continue;
      const doc = JSON.parse(m[5]) as { container_id?: string; id?: string };
      const id = doc.container_id ?? doc.id;
      if (!id) continue;
      const wall = Date.parse(`${m[1]}T${m[2]}Z`) + Number(`0.${m[3]}`) * 1000;
      marks(id).set(`containerd ${m[4]}`, wall - performance.timeOrigin);
    }
  });
  p.on('error', () => {});
  return p;
}

function agent(id: string, pool: number): DockerAgentSpec {
  const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/agents/math/manifest.json'), 'utf8'));
  return { id, runtime: 'docker', manifest, limits: {}, env: {}, image: IMAGE, pool, baseDir: '/' };
}

const task = (n: number): ExecutionTask => ({
  taskId: `stages-${n}`, agentId: 'math', capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] }, limits: LIMITS,
});

/** Each stage's median offset from the moment execute() was called, over the runs that saw it. */
function table(runs: Marks[]): string[] {
  const names = new Map<string, number[]>();
  for (const r of runs) {
    for (const [k, t] of r) {
      const at = t - r.get('execute called')!;
      if (at >= 0) (names.get(k) ?? names.set(k, []).get(k)!).push(at); // a pooled container's start-up came before
    }
  }
  const rows = [...names].map(([k, xs]) => [k, percentile([...xs].sort((a, b) => a - b), 50)] as const).sort((a, b) => a[1] - b[1]);
  return ['| stage | ms after execute() (p50) |', '| --- | --- |', ...rows.map(([k, t]) => `| ${k} | ${fmt(t, 1)} |`)];
}

/** The paths profiled, interleaved: exit status from containerd's event (the default) or from dockerd's wait only. */
const PATHS = [
  { label: 'pooled, exit from containerd event', events: true, pool: 1 },
  { label: 'pooled, exit from dockerd wait only', events: false, pool: 1 },
  { label: 'cold, exit from containerd event', events: true, pool: 0 },
  { label: 'cold, exit from dockerd wait only', events: false, pool: 0 },
] as const;

export async function profileDockerStages(n: number): Promise<string> {
  await ensureImage(IMAGE, join(FIXTURE_IMAGES_DIR, 'math'));
  const byId = new Map<string, Marks>();
  const marks = (id: string) => byId.get(id) ?? byId.set(id, new Map()).get(id)!;
  const ctr = containerdEvents(marks);
  const runtimes = new Map<boolean, DockerRuntime>();
  for (const events of [true, false]) {
    const client = timedClient(new DockerodeClient(undefined, { exitEvents: events }), marks, new Map());
    runtimes.set(events, new DockerRuntime({ daemonId: `stages-${process.pid}-${events}`, client, agentLimits: () => LIMITS }));
  }
  const paths = PATHS.map((p) => ({ ...p, rt: runtimes.get(p.events)!, agent: agent(`math-${p.pool}`, p.pool), runs: [] as Marks[] }));
  try {
    for (const rt of runtimes.values()) await rt.start();
    for (const p of paths) await p.rt.prepare(p.agent);
    for (let i = 0; i < n + 2; i++) {
      for (const p of paths) {
        for (const q of paths) await q.rt.pool(q.agent.id)?.filled();
        await new Promise((r) => setTimeout(r, 300)); // the previous removal and refill settle
        const t0 = performance.now();
        const r = await p.rt.execute(p.agent, task(i), new AbortController().signal);
        const t1 = performance.now();
        if (r.status !== 'COMPLETED') throw new Error(`${p.label}: ${r.status} ${r.error?.message}`);
        await new Promise((res) => setTimeout(res, 500)); // removal and the trailing events
        const used = [...byId.values()].find((m) => (m.get('stdin written') ?? -1) >= t0 && m.get('stdin written')! <= t1);
        if (!used || i < 2) continue;
        used.set('execute called', t0).set('execute answered', t1);
        p.runs.push(used);
      }
    }
  } finally {
    for (const rt of runtimes.values()) await rt.close();
    ctr?.kill();
  }
  return paths.flatMap((p) => [`### ${p.label} (${p.runs.length} runs)`, '', ...table(p.runs), '']).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await profileDockerStages(Number(process.argv[2] ?? 10)));
  process.exit(0);
}
