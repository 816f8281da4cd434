// Turns what an agent wrote (its one JSON result document) into an outcome, safely; shared by every backend.
import { nestsDeeperThan } from './json-nesting.js';
import type { ErrorCode, ExecutionResult } from './outcome.js';

export type ParsedOutput = Pick<ExecutionResult, 'status' | 'output' | 'error' | 'metrics'>;

/**
 * How deeply a result document may nest (the document itself is level 1). Everything downstream walks an outcome
 * recursively (JSON.stringify for the journal and the wire, structured clone from a worker, protobuf), and the main
 * thread's stack gives out near 10,000 levels: 64 is far above any real result and far below that.
 */
export const MAX_OUTPUT_DEPTH = 64;
/** The largest document parsed at all (the `output_bytes` ceiling): bounds the work before any limit is known. */
export const MAX_OUTPUT_CHARS = 64 * 1024 ** 2;
const MAX_MESSAGE = 4096;

function failed(code: ErrorCode, message: string): ParsedOutput {
  return { status: 'FAILED', error: { code, message: message.slice(0, MAX_MESSAGE) }, metrics: {} };
}

function metricsOf(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  return out;
}

/** Why the raw text cannot be parsed safely, before JSON.parse touches it; undefined when it can. */
function unsafeText(text: string): string | undefined {
  if (text.length > MAX_OUTPUT_CHARS) return `result document is larger than ${MAX_OUTPUT_CHARS} characters`;
  if (nestsDeeperThan(text, MAX_OUTPUT_DEPTH)) return `result document nested deeper than ${MAX_OUTPUT_DEPTH} levels`;
  return undefined;
}

/**
 * Parses `{"output": …, "metrics": {…}}` or `{"error": …}`.
 * `exit` describes how the agent ended: a signal → CRASHED; non-zero exit → AGENT_ERROR (with the
 * agent's error text when it printed one).
 */
export function parseAgentOutput(text: string, exit: { exitCode: number; signal?: string } = { exitCode: 0 }): ParsedOutput {
  if (exit.signal) return failed('CRASHED', `agent killed by signal ${exit.signal}`);
  const unsafe = unsafeText(text);
  if (unsafe) return failed(exit.exitCode !== 0 ? 'AGENT_ERROR' : 'BAD_OUTPUT', exit.exitCode !== 0 ? `agent exited with code ${exit.exitCode}` : unsafe);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    if (exit.exitCode !== 0) return failed('AGENT_ERROR', `agent exited with code ${exit.exitCode}`);
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    return failed('BAD_OUTPUT', `agent output is not one JSON document (${(e as Error).message}): ${JSON.stringify(preview)}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    return failed('BAD_OUTPUT', 'agent output must be a JSON object with "output" or "error"');
  }
  const d = doc as Record<string, unknown>;
  if ('error' in d && d.error !== undefined && d.error !== null) {
    const msg = typeof d.error === 'string' ? d.error : JSON.stringify(d.error);
    return { ...failed('AGENT_ERROR', msg), metrics: metricsOf(d.metrics) };
  }
  if (exit.exitCode !== 0) return failed('AGENT_ERROR', `agent exited with code ${exit.exitCode}`);
  if (!('output' in d)) return failed('BAD_OUTPUT', 'agent result has neither "output" nor "error"');
  return { status: 'COMPLETED', output: d.output, metrics: metricsOf(d.metrics) };
}

/** Why a value cannot be stored and answered as JSON (too deep, cyclic, not a JSON type), or undefined. */
function unstorable(root: unknown, maxDepth: number): string | undefined {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') { if (Number.isFinite(v)) continue; return `a non-finite number (${v})`; }
    if (typeof v !== 'object') return `a value of type ${typeof v}`;
    if (depth > maxDepth) return `values nested deeper than ${MAX_OUTPUT_DEPTH} levels`;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return undefined;
}

/**
 * The last line of the output path: whatever a backend produced, the outcome that is stored, streamed and answered
 * can be serialised. Anything that cannot becomes FAILED BAD_OUTPUT (usage kept), never an RPC error or a lost outcome.
 */
export function storableOutcome(result: ExecutionResult): ExecutionResult {
  // The output sits one level below the document it came from.
  const why = (result.output !== undefined ? unstorable(result.output, MAX_OUTPUT_DEPTH - 1) : undefined)
    ?? (result.error && typeof result.error.message !== 'string' ? 'a non-string error message' : undefined)
    ?? unstorable(result.metrics ?? {}, 2);
  if (!why) return result;
  // The egress audit log is the daemon's record (not the agent's), always storable: kept whatever the agent returned.
  return { ...failed('BAD_OUTPUT', `agent result cannot be stored: it contains ${why}`), usage: result.usage, ...(result.egress ? { egress: result.egress } : {}) };
}

