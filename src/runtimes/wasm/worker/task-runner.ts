// Runs one core-module task in a fresh instance inside a worker thread and reports one ExecutionResult (never throws).
import { emptyUsage, type ExecutionResult, type Usage } from '../../../contract/outcome.js';
import { parseAgentOutput } from '../../../contract/agent-output.js';
import { LineSplitter } from '../../../sandbox/output-cap.js';
import { ARI } from '../../../sandbox/wasm/instrument.js';
import { MemoryLimitExceeded, OutputLimitExceeded, ProcExit } from '../shared/outcome-markers.js';
import type { RunRequest } from '../shared/worker-protocol.js';
import { takeCoreSpare } from './core-spare.js';
import { FuelMeter, type TaskControl } from './fuel-meter.js';
import { GuestMemory } from './guest-memory.js';
import { releaseMemory, takeMemory } from './memory-pool.js';
import { capPages, checkFootprint, extraBytes } from './memory-footprint.js';
import { runSeed, seedImports } from './seed-abi.js';
import type { AbiRun, TaskContext } from './task-context.js';
import { taskOutcome, type RunEnding } from './task-outcome.js';
import { startClock } from './thread-cpu.js';
import { WasiPreview1 } from './wasi-preview1.js';

function exported<T>(instance: WebAssembly.Instance | undefined, name: string): T | undefined {
  return instance ? (instance.exports as Record<string, unknown>)[name] as T | undefined : undefined;
}

function runWasi(instance: WebAssembly.Instance, wasi: WasiPreview1): AbiRun {
  let exitCode = 0;
  try {
    (instance.exports._start as () => void)();
  } catch (e) {
    if (!(e instanceof ProcExit)) throw e;
    exitCode = e.code;
  }
  const parsed = parseAgentOutput(wasi.stdout.toString(), { exitCode });
  return { parsed, outputBytes: wasi.stdout.total, exitCode };
}

/** Pages everything the instance holds may reach; an inline run may only grow a little past what it starts with. */
function pageCap(req: RunRequest, hostBytes: number, memory: WebAssembly.Memory | undefined, control: TaskControl): number {
  const cap = capPages(req.limits.memoryBytes, hostBytes);
  if (!control.inline) return cap;
  const held = Math.ceil(((memory?.buffer.byteLength ?? 0) + req.footprintBytes) / 65536);
  return Math.min(cap, held + control.inline.growPages);
}

/** `onSlice` runs between fuel slices (about every millisecond while guest code runs). */
export function runTask(
  module: WebAssembly.Module, req: RunRequest, control: TaskControl, emitLog: (line: string) => void, onSlice?: () => void,
): ExecutionResult {
  const { end, usage } = runCore(module, req, control, emitLog, onSlice);
  return taskOutcome(end, usage, req.limits);
}

/** How a run ended and what it used, before classification (an inline run decides from this whether it stands). */
export function runCore(
  module: WebAssembly.Module, req: RunRequest, control: TaskControl, emitLog: (line: string) => void, onSlice?: () => void,
): { end: RunEnding; usage: Usage } {
  // Inline (main thread, one short slice): wall time bounds CPU time, and the thread's CPU clock costs a read of /proc.
  const clock = startClock(!control.inline);
  const meter = new FuelMeter();
  meter.arm({ budget: req.limits.fuel, deadline: req.deadline, cpuMillis: req.limits.cpuMillis, onSlice, ...control });
  const logs = new LineSplitter(emitLog);
  const ctx: TaskContext = { req, meter, log: (text) => logs.push(text) };
  const wasi = req.abi === 'wasi' ? new WasiPreview1(ctx) : undefined;
  let instance: WebAssembly.Instance | undefined;
  let memory: WebAssembly.Memory | undefined;
  let run: AbiRun | undefined;
  let thrown: unknown;
  /** The pooled memory this task's instance imports: zeroed and given back once the task is over. */
  let pooled: WebAssembly.Memory | undefined;
  const hostBytes = Buffer.byteLength(req.document);
  const held = () => (instance ? extraBytes([instance], req.footprintBytes) : req.footprintBytes) + hostBytes;
  try {
    // Refused before instantiating: a module whose tables alone pass the limit never gets them allocated.
    checkFootprint(held(), 0, req.limits.memoryBytes);
    const imports = wasi ? wasi.importsFor(module) : seedImports(ctx, () => (memory ? new GuestMemory(memory) : undefined));
    const counter = meter.counter();
    imports[ARI.importModule] = { [ARI.outOfFuel]: counter.outOfFuel };
    const spare = takeCoreSpare(module);
    if (spare?.bind(imports)) {
      pooled = spare.memory;
      instance = spare.instance;
    } else {
      if (req.memory) imports[ARI.importModule][ARI.memoryImport] = pooled = takeMemory(req.memory);
      instance = new WebAssembly.Instance(module, imports);
    }
    memory = exported<WebAssembly.Memory>(instance, 'memory');
    wasi?.bindMemory(memory);
    const maxPages = exported<WebAssembly.Global>(instance, ARI.memMaxPagesGlobal);
    if (maxPages) maxPages.value = pageCap(req, hostBytes, memory, control);
    counter.bind(exported<WebAssembly.Global>(instance, ARI.fuelGlobal));
    checkFootprint(held(), memory?.buffer.byteLength ?? 0, req.limits.memoryBytes);
    // The instrumenter defers the start function so it runs metered, after the fuel counter is bound.
    exported<() => void>(instance, ARI.startExport)?.();
    run = wasi ? runWasi(instance, wasi) : runSeed(instance, ctx);
  } catch (e) {
    thrown = e;
  }
  logs.flush();
  const usage = { ...emptyUsage(), ...clock.elapsed() };
  usage.peakMemoryBytes = instance ? (memory?.buffer.byteLength ?? 0) + held() + (wasi?.stdout.retainedBytes ?? 0) : 0;
  usage.fuelConsumed = meter.consumed();
  usage.outputBytes = run?.outputBytes ?? (thrown instanceof OutputLimitExceeded ? thrown.offered : wasi?.stdout.total ?? 0);
  usage.exitCode = run?.exitCode ?? 0;
  const oomFlagged = exported<WebAssembly.Global>(instance, ARI.oomGlobal)?.value === 1 || thrown instanceof MemoryLimitExceeded;
  if (pooled && req.memory) releaseMemory(req.memory, pooled);
  return { end: { run, stop: meter.stop, thrown, oomFlagged, overBudget: meter.overBudget() }, usage };
}
