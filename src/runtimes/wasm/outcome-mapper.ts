// Maps how a wasm run ended (its result, a stop marker, or a trap) to one ExecutionResult.
import type { ErrorCode, ExecutionResult, TerminalStatus, Usage } from '../../contract/outcome.js';
import {
  AbiViolation, Cancelled, DeadlineExceeded, OutOfFuel, OutputLimitExceeded, StopMarker,
} from './outcome-markers.js';
import type { AbiRun } from './task-context.js';

const MAX_MESSAGE = 4096;

function ended(status: TerminalStatus, code: ErrorCode, message: string, usage: Usage): ExecutionResult {
  return { status, error: { code, message: message.slice(0, MAX_MESSAGE) }, usage, metrics: {} };
}

/** A run that reached its end (returned from execute_task / _start, or proc_exit). */
export function fromRun(run: AbiRun, usage: Usage): ExecutionResult {
  const { status, output, error, metrics } = run.parsed;
  return { status, ...(status === 'COMPLETED' ? { output } : {}), ...(error ? { error } : {}), usage, metrics };
}

/** Something was thrown out of the instance: one of our markers, or the module's own trap. */
export function fromThrown(e: unknown, usage: Usage): ExecutionResult {
  if (e instanceof OutOfFuel) return ended('OUT_OF_FUEL', 'OUT_OF_FUEL', `fuel budget of ${usage.fuelConsumed} exhausted`, usage);
  if (e instanceof DeadlineExceeded) return ended('TIMEOUT', 'TIMEOUT', 'deadline exceeded', usage);
  if (e instanceof Cancelled) return ended('CANCELLED', 'CANCELLED', 'task cancelled', usage);
  if (e instanceof OutputLimitExceeded) return ended('OUTPUT_LIMIT', 'OUTPUT_LIMIT', e.message, usage);
  if (e instanceof AbiViolation) return ended('FAILED', 'BAD_OUTPUT', e.message, usage);
  if (e instanceof StopMarker) return ended('FAILED', 'CRASHED', e.message, usage);
  const err = e instanceof Error ? e : new Error(String(e));
  const kind = err instanceof WebAssembly.RuntimeError ? 'trap' : err.name;
  return ended('FAILED', 'CRASHED', `${kind}: ${err.message}`, usage);
}

/**
 * A refused memory.grow explains most later failures (a trap after malloc returned NULL, a spin on grow):
 * they are reported as OUT_OF_MEMORY. A completed run, a cancel or an output flood keep their status.
 */
export function withOomVerdict(result: ExecutionResult, oom: boolean, memoryBytes: number): ExecutionResult {
  if (!oom || !['FAILED', 'TIMEOUT', 'OUT_OF_FUEL'].includes(result.status)) return result;
  const why = result.error ? ` (then ${result.error.message})` : '';
  return ended('OUT_OF_MEMORY', 'OUT_OF_MEMORY', `memory limit of ${memoryBytes} bytes reached${why}`, result.usage);
}
