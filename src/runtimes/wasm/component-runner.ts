// Runs one component task inside a worker thread and reports one ExecutionResult (never throws). Each task gets a
// fresh instance; while idle the worker pre-instantiates the next one for the component it just ran.
import { emptyUsage, type ExecutionResult } from '../../contract/outcome.js';
import { LineSplitter } from '../../sandbox/output-cap.js';
import { parseAgentOutput } from '../../contract/agent-output.js';
import {
  arm, instantiateComponent, memoryBytes, oomFlagged, type ComponentApi, type ComponentInstance, type Instantiate, type TaskBinding,
} from './component-instance.js';
import type { ComponentWasi } from './component-wasi.js';
import { fromRun, fromThrown, withOomVerdict } from './outcome-mapper.js';
import { OutputLimitExceeded, ProcExit } from './outcome-markers.js';
import type { AbiRun } from './task-context.js';
import { isMemoryFailure } from './task-runner.js';
import { startClock } from './thread-cpu.js';
import { WARM_UP_DOCUMENT, type ComponentArtifact, type RunRequest } from './worker-protocol.js';

type WasiModule = typeof import('./component-wasi.js');

/** A spare instance holding more initial memory than this is not kept (it would sit idle in every worker). */
const MAX_SPARE_MEMORY = 16 * 1024 * 1024;

/** jco's `instantiate` per artifact: the glue is evaluated once per worker, each task only calls it. */
const factories = new WeakMap<ComponentArtifact, Instantiate>();
/** Artifacts whose instantiation ran guest code or holds much memory: always instantiated on the task's clock. */
const noSpare = new WeakSet<ComponentArtifact>();
let wasiModule: Promise<WasiModule> | undefined;
let spare: { artifact: ComponentArtifact; abi: RunRequest['abi']; ci: ComponentInstance } | undefined;

export async function runComponentTask(artifact: ComponentArtifact, req: RunRequest, cancel: Int32Array, emitLog: (line: string) => void): Promise<ExecutionResult> {
  let instantiate = factories.get(artifact);
  let wasi: WasiModule | undefined;
  try {
    if (!instantiate) factories.set(artifact, (instantiate = ((await import(artifact.glueUrl)) as { instantiate: Instantiate }).instantiate));
    if (artifact.wasi) wasi = await (wasiModule ??= import('./component-wasi.js'));
  } catch (e) {
    return fromThrown(new Error(`component glue failed to load: ${(e as Error).message}`), emptyUsage());
  }
  if (req.document === WARM_UP_DOCUMENT) {
    prepareSpare(instantiate, artifact, req.abi, wasi);
    return { status: 'COMPLETED', output: null, usage: emptyUsage(), metrics: {} };
  }
  const result = runOnce(instantiate, artifact, req, cancel, emitLog, wasi);
  setImmediate(() => prepareSpare(instantiate!, artifact, req.abi, wasi));
  return result;
}

function takeSpare(artifact: ComponentArtifact, abi: RunRequest['abi']): ComponentInstance | undefined {
  const s = spare;
  spare = undefined;
  return s && s.artifact === artifact && s.abi === abi ? s.ci : undefined;
}

function prepareSpare(instantiate: Instantiate, artifact: ComponentArtifact, abi: RunRequest['abi'], wasi: WasiModule | undefined): void {
  if (spare || noSpare.has(artifact)) return;
  try {
    const ci = instantiateComponent(instantiate, artifact, wasi && new wasi.ComponentWasi());
    if (memoryBytes(ci.instances) > MAX_SPARE_MEMORY) noSpare.add(artifact);
    else spare = { artifact, abi, ci };
  } catch {
    noSpare.add(artifact);
  }
}

function runOnce(
  instantiate: Instantiate, artifact: ComponentArtifact, req: RunRequest, cancel: Int32Array,
  emitLog: (line: string) => void, wasiModule: WasiModule | undefined,
): ExecutionResult {
  const clock = startClock();
  const logs = new LineSplitter(emitLog);
  const task: TaskBinding = {
    wasi: { agentId: req.agentId, env: req.env, stdin: req.document, outputBytes: req.limits.outputBytes, log: (t) => logs.push(t) },
    limits: req.limits, deadline: req.deadline, cancel,
  };
  let ci = takeSpare(artifact, req.abi);
  let run: AbiRun | undefined;
  let thrown: unknown;
  try {
    ci ??= instantiateComponent(instantiate, artifact, wasiModule && new wasiModule.ComponentWasi(), task);
    arm(ci, task);
    run = req.abi === 'component-run' && ci.wasi ? runCommand(ci.api, ci.wasi) : runExecuteTask(ci.api, req);
  } catch (e) {
    thrown = e;
  }
  logs.flush();
  const usage = { ...emptyUsage(), ...clock.elapsed() };
  usage.peakMemoryBytes = ci ? memoryBytes(ci.instances) : 0;
  usage.fuelConsumed = ci?.meter.consumed() ?? 0;
  usage.outputBytes = run?.outputBytes ?? (thrown instanceof OutputLimitExceeded ? thrown.offered : ci?.wasi?.stdout.total ?? 0);
  usage.exitCode = run?.exitCode ?? 0;
  const oom = (ci !== undefined && oomFlagged(ci.instances)) || isMemoryFailure(thrown);
  const stop = ci?.meter.stop;
  const result = run && !stop ? fromRun(run, usage) : fromThrown(stop ?? thrown, usage);
  return withOomVerdict(result, oom, req.limits.memoryBytes);
}

/**
 * A `result` err returned by the component: jco throws it as a ComponentError carrying `payload`, or (for a
 * top-level string err, in newer glue) throws the string itself. Our markers and traps are Errors without payload.
 */
function errPayload(e: unknown): { payload: unknown } | undefined {
  if (typeof e === 'string') return { payload: e };
  return e instanceof Error && Object.hasOwn(e, 'payload') ? (e as Error & { payload: unknown }) : undefined;
}

function runCommand(api: ComponentApi, wasi: ComponentWasi): AbiRun {
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

/** execute-task: ok(doc) is the usual result document; err(msg) is the agent's own failure (AGENT_ERROR). */
function runExecuteTask(api: ComponentApi, req: RunRequest): AbiRun {
  let text: string;
  let failed = false;
  try {
    text = api.executeTask(req.document) as string;
  } catch (e) {
    const err = errPayload(e);
    if (!err) throw e;
    text = String(err.payload);
    failed = true;
  }
  const outputBytes = Buffer.byteLength(text);
  if (outputBytes > req.limits.outputBytes) throw new OutputLimitExceeded(req.limits.outputBytes, outputBytes);
  const parsed = failed ? { status: 'FAILED' as const, error: { code: 'AGENT_ERROR' as const, message: text.slice(0, 4096) }, metrics: {} } : parseAgentOutput(text);
  return { parsed, outputBytes, exitCode: 0 };
}
