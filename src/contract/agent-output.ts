// Turns what an agent wrote (its one JSON result document) into an outcome; shared by every backend.
import type { ErrorCode, ExecutionResult } from './outcome.js';

export type ParsedOutput = Pick<ExecutionResult, 'status' | 'output' | 'error' | 'metrics'>;

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

/**
 * Parses `{"output": …, "metrics": {…}}` or `{"error": "…"}`.
 * `exit` describes how the agent ended: a signal → CRASHED; non-zero exit → AGENT_ERROR (with the
 * agent's error text when it printed one).
 */
export function parseAgentOutput(text: string, exit: { exitCode: number; signal?: string } = { exitCode: 0 }): ParsedOutput {
  if (exit.signal) return failed('CRASHED', `agent killed by signal ${exit.signal}`);
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
