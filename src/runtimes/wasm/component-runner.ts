// Runs one component task inside a worker thread: a fresh instantiation of jco's glue over the instrumented core
// modules, one fuel budget across them, and one ExecutionResult (never throws).
import { emptyUsage, type ExecutionResult, type Limits } from '../../sandbox/limits.js';
import { LineSplitter } from '../../sandbox/output-cap.js';
import { ARI } from '../../sandbox/wasm/instrument.js';
import { parseAgentOutput } from '../agent-output.js';
import { ComponentFuelMeter } from './component-fuel-meter.js';
import type { ComponentWasi } from './component-wasi.js';
import { fromRun, fromThrown, withOomVerdict } from './outcome-mapper.js';
import { OutputLimitExceeded, ProcExit } from './outcome-markers.js';
import type { AbiRun } from './task-context.js';
import { isMemoryFailure } from './task-runner.js';
import { threadCpuNs } from './thread-cpu.js';
import type { ComponentArtifact, RunRequest } from './worker-protocol.js';

const PAGE = 65536;

type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;
type Instantiate = (getCoreModule: (name: string) => WebAssembly.Module, imports: Record<string, unknown>, core: InstantiateCore) => unknown;
type Api = Record<string, any>;

/** jco's `instantiate` per artifact: the glue is evaluated once per worker, each task only calls it. */
const factories = new WeakMap<ComponentArtifact, Instantiate>();
let wasiModule: Promise<typeof import('./component-wasi.js')> | undefined;

export async function runComponentTask(artifact: ComponentArtifact, req: RunRequest, cancel: Int32Array, emitLog: (line: string) => void): Promise<ExecutionResult> {
  let instantiate = factories.get(artifact);
  let wasi: typeof import('./component-wasi.js') | undefined;
  try {
    if (!instantiate) factories.set(artifact, (instantiate = ((await import(artifact.glueUrl)) as { instantiate: Instantiate }).instantiate));
    if (req.abi === 'component-run') wasi = await (wasiModule ??= import('./component-wasi.js'));
  } catch (e) {
    const usage = emptyUsage();
    return fromThrown(new Error(`component glue failed to load: ${(e as Error).message}`), usage);
  }
  return runInstance(instantiate, artifact, req, cancel, emitLog, wasi);
}

function runInstance(
  instantiate: Instantiate, artifact: ComponentArtifact, req: RunRequest, cancel: Int32Array,
  emitLog: (line: string) => void, wasiModule: typeof import('./component-wasi.js') | undefined,
): ExecutionResult {
  const wallStart = performance.now();
  const cpuStart = threadCpuNs();
  const meter = new ComponentFuelMeter(req.limits.fuel, req.deadline, cancel);
  const logs = new LineSplitter(emitLog);
  const wasi = wasiModule && new wasiModule.ComponentWasi({
    agentId: req.agentId, env: req.env, stdin: req.document, outputBytes: req.limits.outputBytes, log: (t) => logs.push(t),
  });
  const instances: WebAssembly.Instance[] = [];
  let run: AbiRun | undefined;
  let thrown: unknown;
  try {
    const core = meteredInstantiator(meter, req.limits, instances);
    // Everything handed to the glue is synchronous, so its generator-based instantiate completes without awaiting.
    const api = instantiate((name) => artifact.cores[name]!, wasi?.imports() ?? {}, core);
    if (api instanceof Promise) throw new Error('jco instantiation unexpectedly became asynchronous');
    run = wasi ? runCommand(api as Api, wasi) : runExecuteTask(api as Api, req);
  } catch (e) {
    thrown = e;
  }
  logs.flush();
  const cpuEnd = threadCpuNs();
  const usage = emptyUsage();
  usage.wallMs = performance.now() - wallStart;
  usage.cpuMs = cpuStart !== null && cpuEnd !== null ? (cpuEnd - cpuStart) / 1e6 : usage.wallMs;
  usage.peakMemoryBytes = memoriesOf(instances).reduce((n, m) => n + m.buffer.byteLength, 0);
  usage.fuelConsumed = meter.consumed();
  usage.outputBytes = run?.outputBytes ?? (thrown instanceof OutputLimitExceeded ? thrown.offered : wasi?.stdout.total ?? 0);
  usage.exitCode = run?.exitCode ?? 0;
  const oom = instances.some((i) => (i.exports[ARI.oomGlobal] as WebAssembly.Global | undefined)?.value === 1) || isMemoryFailure(thrown);
  const result = run && !meter.stop ? fromRun(run, usage) : fromThrown(meter.stop ?? thrown, usage);
  return withOomVerdict(result, oom, req.limits.memoryBytes);
}

/** jco's `instantiateCore`: links the fuel import, binds the counter, applies the task's memory limit, runs a deferred start. */
function meteredInstantiator(meter: ComponentFuelMeter, limits: Limits, instances: WebAssembly.Instance[]): InstantiateCore {
  const maxPages = Math.floor(limits.memoryBytes / PAGE);
  return (module, imports) => {
    const counter = meter.counter();
    const instance = new WebAssembly.Instance(module, { ...imports, [ARI.importModule]: { [ARI.outOfFuel]: counter.outOfFuel } });
    instances.push(instance);
    const exports = instance.exports as Record<string, unknown>;
    counter.bind(exports[ARI.fuelGlobal] as WebAssembly.Global);
    (exports[ARI.memMaxPagesGlobal] as WebAssembly.Global).value = maxPages;
    const size = memoriesOf(instances).reduce((n, m) => n + m.buffer.byteLength, 0);
    if (size > limits.memoryBytes) throw new RangeError(`initial memory of ${size} bytes is above the limit`);
    (exports[ARI.startExport] as (() => void) | undefined)?.();
    return instance;
  };
}

/** Distinct memories of the component (one module usually defines it, others import it). */
function memoriesOf(instances: WebAssembly.Instance[]): WebAssembly.Memory[] {
  const seen = new Set<WebAssembly.Memory>();
  for (const i of instances) for (const v of Object.values(i.exports)) if (v instanceof WebAssembly.Memory) seen.add(v);
  return [...seen];
}

/** A `result` err returned by the component: jco throws it as an error carrying `payload`. */
function errPayload(e: unknown): { payload: unknown } | undefined {
  return e instanceof Error && Object.hasOwn(e, 'payload') ? (e as Error & { payload: unknown }) : undefined;
}

function runCommand(api: Api, wasi: ComponentWasi): AbiRun {
  const run = api.run ?? Object.entries(api).find(([k]) => k.startsWith('wasi:cli/run@'))?.[1];
  let exitCode = 0;
  try {
    run.run();
  } catch (e) {
    if (e instanceof ProcExit) exitCode = e.code;
    else if (errPayload(e)) exitCode = 1;
    else throw e;
  }
  const parsed = parseAgentOutput(wasi.stdout.toString(), { exitCode });
  return { parsed, outputBytes: wasi.stdout.total, exitCode };
}

function runExecuteTask(api: Api, req: RunRequest): AbiRun {
  let text: string;
  try {
    text = api.executeTask(req.document) as string;
  } catch (e) {
    const err = errPayload(e);
    if (!err) throw e;
    const message = String(err.payload);
    const outputBytes = Buffer.byteLength(message);
    if (outputBytes > req.limits.outputBytes) throw new OutputLimitExceeded(req.limits.outputBytes, outputBytes);
    return { parsed: { status: 'FAILED', error: { code: 'AGENT_ERROR', message: message.slice(0, 4096) }, metrics: {} }, outputBytes, exitCode: 0 };
  }
  const outputBytes = Buffer.byteLength(text);
  if (outputBytes > req.limits.outputBytes) throw new OutputLimitExceeded(req.limits.outputBytes, outputBytes);
  return { parsed: parseAgentOutput(text), outputBytes, exitCode: 0 };
}
