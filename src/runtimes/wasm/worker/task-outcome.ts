// Turns how a wasm run ended (its answer, a stop marker, a trap, a refused allocation) into what classify() reads.
import { classify, type Observation } from '../../../contract/classify.js';
import type { Limits } from '../../../contract/limits.js';
import type { ExecutionResult, Usage } from '../../../contract/outcome.js';
import {
  AbiViolation, Cancelled, CpuLimitExceeded, DeadlineExceeded, MemoryLimitExceeded, OutOfFuel, OutputLimitExceeded, StopMarker,
} from '../shared/outcome-markers.js';
import type { AbiRun } from './task-context.js';

/** A V8 allocation failure (a RangeError naming memory, not a stack overflow). */
export function isMemoryFailure(e: unknown): boolean {
  if (e instanceof MemoryLimitExceeded) return true;
  return e instanceof RangeError && /out of memory|cannot allocate|memory/i.test(e.message) && !/call stack/i.test(e.message);
}

export interface RunEnding {
  /** The ABI adapter's result, when the module ran to its end. */
  run?: AbiRun;
  /** The meter's first deliberate stop (it stands even if the module caught and swallowed it). */
  stop?: StopMarker;
  /** What was thrown out of the instance, if anything. */
  thrown?: unknown;
  /** A memory.grow or table.grow was refused at the cap (the instrumenter's `__ari_oom` flag). */
  oomFlagged: boolean;
  /** More fuel was consumed than the budget (charged after the last check). */
  overBudget: boolean;
}

function fromMarker(e: unknown, obs: Observation): void {
  if (e instanceof OutOfFuel) obs.fuelExhausted = true;
  else if (e instanceof DeadlineExceeded) obs.killedFor = 'TIMEOUT';
  else if (e instanceof CpuLimitExceeded) obs.killedFor = 'CPU_LIMIT';
  else if (e instanceof Cancelled) obs.killedFor = 'CANCELLED';
  else if (e instanceof OutputLimitExceeded) obs.killedFor = 'OUTPUT_LIMIT';
  else if (e instanceof AbiViolation) obs.fault = { code: 'BAD_OUTPUT', message: e.message };
  else if (e instanceof StopMarker) obs.fault = { code: 'CRASHED', message: e.message };
  else {
    const err = e instanceof Error ? e : new Error(String(e));
    const kind = err instanceof WebAssembly.RuntimeError ? 'trap' : err.name;
    obs.fault = { code: 'CRASHED', message: `${kind}: ${err.message}` };
  }
}

export function observe(end: RunEnding): Observation {
  const obs: Observation = {};
  const cause = end.stop ?? (end.run ? undefined : end.thrown);
  if (cause !== undefined || !end.run) fromMarker(cause, obs);
  else obs.answer = end.run.parsed;
  if (end.oomFlagged || isMemoryFailure(end.thrown)) obs.memoryRefused = true;
  if (end.overBudget) obs.fuelExhausted = true;
  return obs;
}

export function taskOutcome(end: RunEnding, usage: Usage, limits: Limits): ExecutionResult {
  return classify(observe(end), usage, limits);
}
