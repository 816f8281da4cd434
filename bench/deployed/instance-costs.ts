// What a worker spends per task creating the MathAgent's instance: a fresh linear memory each time vs a pooled one
// reset with fill(0), and the whole runTask() either way. In-process, one thread: µs per task, medians of 5 runs.
// Run: node --import tsx bench/deployed/instance-costs.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARI, instrumentModule } from '../../src/sandbox/wasm/instrument.js';
import { releaseMemory, takeMemory } from '../../src/runtimes/wasm/worker/memory-pool.js';
import { runTask } from '../../src/runtimes/wasm/worker/task-runner.js';
import type { RunRequest } from '../../src/runtimes/wasm/shared/worker-protocol.js';
import { BUILTIN_DEFAULT_LIMITS } from '../../src/config/limits-config.js';
import { REPO } from './processes.js';

const N = Number(process.env.BENCH_N ?? 3000);
const bytes = readFileSync(join(REPO, 'fixtures/agents/math/math.wasm'));
const opts = { maxMemoryBytes: 64 << 20, allowImport: () => true };
const own = new WebAssembly.Module(instrumentModule(bytes, opts).bytes);
const pooledOut = instrumentModule(bytes, { ...opts, importMemory: true });
const pooled = new WebAssembly.Module(pooledOut.bytes);
const shape = pooledOut.importedMemory!;
const noop = () => undefined;
const stub = (m: WebAssembly.Module) => {
  const ns: Record<string, Record<string, unknown>> = {};
  for (const d of WebAssembly.Module.imports(m)) if (d.kind === 'function') (ns[d.module] ??= {})[d.name] = noop;
  return ns;
};

function perTask(f: () => void): number {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) f();
    runs.push(((performance.now() - t) * 1000) / N);
  }
  return runs.sort((a, b) => a - b)[2]!;
}

const doc = JSON.stringify({ capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] } });
const req = (memory?: RunRequest['memory']): RunRequest => ({
  type: 'run', jobId: 1, moduleKey: 'k', abi: 'seed', footprintBytes: 256, agentId: 'math', env: {}, document: doc,
  limits: BUILTIN_DEFAULT_LIMITS, deadline: Date.now() + 3_600_000, ...(memory ? { memory } : {}),
});
const control = { cancel: new Int32Array(new SharedArrayBuffer(4)) };

const rows = {
  'new Instance, module defines its memory': perTask(() => new WebAssembly.Instance(own, stub(own) as WebAssembly.Imports)),
  'new Instance, pooled memory (take + fill(0) release)': perTask(() => {
    const memory = takeMemory(shape);
    const imports = stub(pooled);
    imports[ARI.importModule]![ARI.memoryImport] = memory;
    new WebAssembly.Instance(pooled, imports as WebAssembly.Imports);
    releaseMemory(shape, memory);
  }),
  'runTask, module defines its memory': perTask(() => runTask(own, req(), control, noop)),
  'runTask, pooled memory': perTask(() => runTask(pooled, req(shape), control, noop)),
};
for (const [k, v] of Object.entries(rows)) process.stdout.write(`${k}: ${v.toFixed(1)} µs/task\n`);
