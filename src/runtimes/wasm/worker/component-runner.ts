// Runs one component task inside a worker thread and reports one ExecutionResult (never throws). Each task gets a
// fresh instance; while idle the worker pre-instantiates the next one for the component it just ran.
import { parseAgentOutput } from '../../../contract/agent-output.js';
import { emptyUsage, type ExecutionResult } from '../../../contract/outcome.js';
import { LineSplitter } from '../../../sandbox/output-cap.js';
import { MemoryLimitExceeded, OutputLimitExceeded, ProcExit } from '../shared/outcome-markers.js';
import type { ComponentArtifact, RunRequest, WarmUpRequest } from '../shared/worker-protocol.js';
import {
  arm, heldBytes, instantiateComponent, memoryBytes, oomFlagged, type ComponentApi, type ComponentInstance, type Instantiate, type TaskBinding,
} from './component-instance.js';
import type { ComponentWasi } from './component-wasi.js';
import { checkFootprint } from './memory-footprint.js';
import { MAX_SPARE_BYTES, Spares } from './spare-instance.js';
import type { TaskControl } from './fuel-meter.js';
import type { AbiRun } from './task-context.js';
import { taskOutcome } from './task-outcome.js';
import { startClock } from './thread-cpu.js';

type WasiModule = typeof import('./component-wasi.js');
interface Loaded { instantiate: Instantiate; wasi: WasiModule | undefined }

/** jco's `instantiate` per artifact: the glue is evaluated once per worker, each task only calls it. */
const factories = new WeakMap<ComponentArtifact, Instantiate>();
let wasiModule: Promise<WasiModule> | undefined;
const spares = new Spares<ComponentArtifact, { abi: RunRequest['abi']; ci: ComponentInstance }>();

async function load(artifact: ComponentArtifact): Promise<Loaded> {
  let instantiate = factories.get(artifact);
  if (!instantiate) factories.set(artifact, (instantiate = ((await import(artifact.glueUrl)) as { instantiate: Instantiate }).instantiate));
  const wasi = artifact.wasi ? await (wasiModule ??= import('./component-wasi.js')) : undefined;
  return { instantiate, wasi };
}

/** Loads the glue (and the WASI shim) and builds a spare: the first task then pays neither. */
export async function warmUpComponent(artifact: ComponentArtifact, req: WarmUpRequest): Promise<void> {
  prepareSpare(await load(artifact), artifact, req.abi, req.footprintBytes);
}

export async function runComponentTask(artifact: ComponentArtifact, req: RunRequest, control: TaskControl, emitLog: (line: string) => void): Promise<ExecutionResult> {
  let loaded: Loaded;
  try {
    loaded = await load(artifact);
  } catch (e) {
    const fault = new Error(`component glue failed to load: ${(e as Error).message}`);
    return taskOutcome({ thrown: fault, oomFlagged: false, overBudget: false }, emptyUsage(), req.limits);
  }
  const result = runOnce(loaded, artifact, req, control, emitLog);
  setImmediate(() => prepareSpare(loaded, artifact, req.abi, req.footprintBytes));
  return result;
}

function prepareSpare(loaded: Loaded, artifact: ComponentArtifact, abi: RunRequest['abi'], footprintBytes: number): void {
  spares.offer(artifact, () => {
    if (footprintBytes > MAX_SPARE_BYTES) return undefined;
    const ci = instantiateComponent(loaded.instantiate, artifact, loaded.wasi && new loaded.wasi.ComponentWasi());
    return { value: { abi, ci }, bytes: footprintBytes + memoryBytes(ci.instances) };
  });
}

function takeSpare(artifact: ComponentArtifact, abi: RunRequest['abi']): ComponentInstance | undefined {
  const s = spares.take(artifact);
  return s?.abi === abi ? s.ci : undefined;
}

function runOnce({ instantiate, wasi: wasiModule }: Loaded, artifact: ComponentArtifact, req: RunRequest, control: TaskControl, emitLog: (line: string) => void): ExecutionResult {
  const clock = startClock();
  const logs = new LineSplitter(emitLog);
  const task: TaskBinding = {
    wasi: { agentId: req.agentId, env: req.env, stdin: req.document, outputBytes: req.limits.outputBytes, log: (t) => logs.push(t), egress: req.egress },
    limits: req.limits, deadline: req.deadline, control, footprintBytes: req.footprintBytes, hostBytes: Buffer.byteLength(req.document),
  };
  let ci: ComponentInstance | undefined;
  let run: AbiRun | undefined;
  let thrown: unknown;
  try {
    // Refused before instantiating: tables past the limit are never allocated.
    checkFootprint(task.footprintBytes + task.hostBytes, 0, req.limits.memoryBytes);
    ci = takeSpare(artifact, req.abi) ?? instantiateComponent(instantiate, artifact, wasiModule && new wasiModule.ComponentWasi(), task);
    arm(ci, task);
    run = req.abi === 'component-run' && ci.wasi ? runCommand(ci.api, ci.wasi) : runExecuteTask(ci.api, req);
  } catch (e) {
    thrown = e;
  }
  logs.flush();
  const usage = { ...emptyUsage(), ...clock.elapsed() };
  usage.peakMemoryBytes = ci ? memoryBytes(ci.instances) + heldBytes(ci, task) + (ci.wasi?.stdout.retainedBytes ?? 0) : 0;
  usage.fuelConsumed = ci?.meter.consumed() ?? 0;
  usage.outputBytes = run?.outputBytes ?? (thrown instanceof OutputLimitExceeded ? thrown.offered : ci?.wasi?.stdout.total ?? 0);
  usage.exitCode = run?.exitCode ?? 0;
  const oom = (ci !== undefined && oomFlagged(ci.instances)) || thrown instanceof MemoryLimitExceeded;
  return taskOutcome({ run, stop: ci?.meter.stop, thrown, oomFlagged: oom, overBudget: ci?.meter.overBudget() ?? false }, usage, req.limits);
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
