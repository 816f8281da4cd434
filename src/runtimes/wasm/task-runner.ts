// Runs one task in a fresh instance inside a worker thread and reports one ExecutionResult (never throws).
import { emptyUsage, type ExecutionResult } from '../../contract/outcome.js';
import { LineSplitter } from '../../sandbox/output-cap.js';
import { FuelMeter } from './fuel-meter.js';
import { GuestMemory } from './guest-memory.js';
import { fromRun, fromThrown, withOomVerdict } from './outcome-mapper.js';
import { OutputLimitExceeded, ProcExit } from './outcome-markers.js';
import { parseAgentOutput } from '../../contract/agent-output.js';
import { runSeed, seedImports } from './seed-abi.js';
import { takeSpare } from './spare-instance.js';
import type { AbiRun, TaskContext } from './task-context.js';
import { startClock } from './thread-cpu.js';
import { WasiPreview1 } from './wasi-preview1.js';
import type { RunRequest } from './worker-protocol.js';

const PAGE = 65536;

function exported<T>(instance: WebAssembly.Instance | undefined, name: string): T | undefined {
  return instance ? (instance.exports as Record<string, unknown>)[name] as T | undefined : undefined;
}

/** A V8 allocation failure (also used by the component runner). */
export function isMemoryFailure(e: unknown): boolean {
  return e instanceof RangeError && /out of memory|cannot allocate|memory/i.test(e.message) && !/call stack/i.test(e.message);
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

/** `onSlice` runs between fuel slices (about every millisecond while guest code runs). */
export function runTask(
  module: WebAssembly.Module, req: RunRequest, cancel: Int32Array, emitLog: (line: string) => void, onSlice?: () => void,
): ExecutionResult {
  const clock = startClock();
  const meter = new FuelMeter(req.limits.fuel, req.deadline, cancel, onSlice);
  const logs = new LineSplitter(emitLog);
  const ctx: TaskContext = { req, meter, log: (text) => logs.push(text) };
  const wasi = req.abi === 'wasi' ? new WasiPreview1(ctx) : undefined;
  let instance: WebAssembly.Instance | undefined;
  let memory: WebAssembly.Memory | undefined;
  let run: AbiRun | undefined;
  let thrown: unknown;
  try {
    const imports = wasi ? wasi.importsFor(module) : seedImports(ctx, () => (memory ? new GuestMemory(memory) : undefined));
    imports.__ari = { out_of_fuel: meter.outOfFuel };
    const spare = takeSpare(module);
    instance = spare?.bind(imports) ? spare.instance : new WebAssembly.Instance(module, imports);
    memory = exported<WebAssembly.Memory>(instance, 'memory');
    wasi?.bindMemory(memory);
    const maxPages = exported<WebAssembly.Global>(instance, '__ari_mem_max_pages');
    if (maxPages) maxPages.value = Math.floor(req.limits.memoryBytes / PAGE);
    meter.attach(exported<WebAssembly.Global>(instance, '__ari_fuel'));
    if (memory && memory.buffer.byteLength > req.limits.memoryBytes) {
      throw new RangeError(`initial memory of ${memory.buffer.byteLength} bytes is above the limit`);
    }
    // The instrumenter defers the start function so it runs metered, after the fuel counter is bound.
    exported<() => void>(instance, '__ari_start')?.();
    run = wasi ? runWasi(instance, wasi) : runSeed(instance, ctx);
  } catch (e) {
    thrown = e;
  }
  logs.flush();
  const usage = { ...emptyUsage(), ...clock.elapsed() };
  usage.peakMemoryBytes = memory?.buffer.byteLength ?? 0;
  usage.fuelConsumed = meter.consumed();
  usage.outputBytes = run?.outputBytes ?? (thrown instanceof OutputLimitExceeded ? thrown.offered : wasi?.stdout.total ?? 0);
  usage.exitCode = run?.exitCode ?? 0;
  const oom = exported<WebAssembly.Global>(instance, '__ari_oom')?.value === 1 || isMemoryFailure(thrown);
  // A marker the module caught and swallowed still decides the ending.
  const result = run && !meter.stop ? fromRun(run, usage) : fromThrown(meter.stop ?? thrown, usage);
  return withOomVerdict(result, oom, req.limits.memoryBytes);
}
