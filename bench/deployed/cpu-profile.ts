// Reads V8 .cpuprofile files (node --cpu-prof) and splits the samples inside a time window into the hot path's stages.

interface CallFrame { functionName: string; url: string }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** A stage and the frames it owns; the first rule matching a sample's deepest attributable frame wins. */
interface Rule { stage: string; test: (f: CallFrame, stack: CallFrame[]) => boolean }

const byUrl = (stage: string, re: RegExp): Rule => ({ stage, test: (f) => re.test(f.url) });
const fromSpare = (stack: CallFrame[]) => stack.some((f) => f.url.includes('core-spare'));

/** Order matters only where a frame could match two rules; a sample is charged to its deepest matching frame. */
const RULES: Rule[] = [
  { stage: 'worker: sleeping in Atomics.wait', test: (f) => f.url === '' && f.functionName === 'wait' },
  { stage: 'worker: instance creation, spare (off the task clock)', test: (f, s) => f.url === '' && f.functionName === 'Instance' && fromSpare(s) },
  { stage: 'worker: instance creation, on the task clock', test: (f) => f.url === '' && f.functionName === 'Instance' },
  { stage: 'worker: memory reset (pooled memories)', test: (f) => /memory-pool/.test(f.url) },
  byUrl('worker: guest execution (wasm code)', /^wasm:/),
  byUrl('worker: fuel meter', /wasm\/worker\/fuel-meter/),
  byUrl('worker: ABI host calls (seed / WASI)', /wasm\/worker\/(seed-abi|wasi-preview1|guest-memory|output-sink)/),
  { stage: 'worker: spare building (JS around it)', test: (f) => /wasm\/worker\/(core-spare|spare-instance)/.test(f.url) },
  byUrl('worker: task runner (setup, usage, outcome)', /wasm\/worker\/(task-runner|task-outcome|memory-footprint|thread-cpu|heap-collect)|sandbox\/output-cap/),
  byUrl('worker: channel + loop (worker side)', /wasm\/worker\/(channel-worker|worker-main)/),
  byUrl('gRPC/http2 transport (frames, protobuf decode/encode)', /@grpc\/|protobufjs|node:internal\/http2|node:http2|node:net|node:internal\/stream_base_commons|node:internal\/streams|\/long\//),
  byUrl('server: handler + wire conversion', /(?:src|dist)\/server\//),
  byUrl('admission (parse, schema, limits, request hash)', /(?:src|dist)\/core\/(admission|json-depth|limits-resolver|agent-registry)|\/ajv\//),
  byUrl('agent hash', /(?:src|dist)\/core\/agent-hash/),
  byUrl('journal (SQLite)', /(?:src|dist)\/core\/(sqlite-journal|journal-schema|journal-batch)|better-sqlite3/),
  byUrl('scheduler (p-queue)', /p-queue|eventemitter3|src\/core\/scheduler/),
  byUrl('task service (lifecycle, updates)', /(?:src|dist)\/core\/(task-service|update-bus|task-record)/),
  byUrl('logs (pino)', /pino|sonic-boom|src\/observability\/logger|fast-redact|quick-format|safe-stable-stringify/),
  byUrl('metrics (prom-client)', /prom-client|src\/observability\/|tdigest|bintrees/),
  byUrl('worker hop, main side (pool, channel)', /(?:src|dist)\/runtimes\/wasm\/(host|shared)\//),
  byUrl('result build (classify, storable outcome)', /(?:src|dist)\/contract\//),
  byUrl('tsx loader (should be 0 in the window)', /\/tsx\//),
];

const SPECIAL: Record<string, string> = {
  '(idle)': 'idle (event loop waiting)',
  '(garbage collector)': 'garbage collector',
  '(program)': 'native, unattributed (libuv, V8, nghttp2)',
};
export const IDLE_STAGES = new Set(['idle (event loop waiting)', 'worker: sleeping in Atomics.wait']);
const OTHER = 'other JS (event loop, promises, node internals)';

/** Microseconds per stage of the samples taken in [fromUs, toUs] (V8 monotonic clock, = process.hrtime / 1000). */
export function stageTimes(p: CpuProfile, fromUs: number, toUs: number): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = stageOf.get(id);
    if (known) return known;
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!.callFrame);
    let stage: string | undefined = SPECIAL[stack[0]!.functionName];
    for (let i = 0; !stage && i < stack.length; i++) stage = RULES.find((r) => r.test(stack[i]!, stack.slice(i + 1)))?.stage;
    stageOf.set(id, stage ?? OTHER);
    return stage ?? OTHER;
  };
  const out = new Map<string, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    // A sample's weight is the interval up to the next one (the last one gets its own delta).
    const w = p.timeDeltas[i + 1] ?? p.timeDeltas[i]!;
    if (t < fromUs || t > toUs) continue;
    const s = classify(p.samples[i]!);
    out.set(s, (out.get(s) ?? 0) + w);
  }
  return out;
}

/** Adds `b` into `a`. */
export function addTimes(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  for (const [k, v] of b) a.set(k, (a.get(k) ?? 0) + v);
  return a;
}
