// The conformance suite's vocabulary: cases as data, what one run of a case observed, and its verdict.
import { BACKENDS as REGISTRY, RUNTIME_NAMES, type BackendName } from '../runtimes/backends.js';
import type { WireTaskResponse } from '../server/wire-types.js';
import type { HostProbe } from './host-probe.js';

/** The registered backends (src/runtimes/backends.ts), in registry order: the matrix's columns. */
export type Backend = BackendName;
export const BACKENDS: readonly Backend[] = RUNTIME_NAMES;

/**
 * Default pass bound: how long past its deadline (or its cancel) each backend may take to stop a task (issue 6),
 * declared by each backend's descriptor. The overshoot is always measured and printed; `--kill-bound-ms` sets the bound.
 */
export const KILL_BOUND_MS = Object.fromEntries(REGISTRY.map((b) => [b.name, b.killBoundMs])) as Record<Backend, number>;

/** One hostile task of a case on one backend: which conformance agent, and what to send it. */
export interface CaseCall {
  agent: string;
  capability?: string;
  /** The task input; may use the probe (listener port, planted paths). Default {}. */
  input?: (probe: HostProbe) => unknown;
  /** Cancel the task this long after submitting it (the kill measured is the cancel's). */
  cancelAfterMs?: number;
}

/** Why a case does not apply to a backend (shown as n-a). */
export interface NotApplicable { na: string }

/** Everything the runner saw of one hostile task. */
export interface Observation {
  backend: Backend;
  agent: string;
  /** The id the task was sent with (Docker labels a cold container with it). */
  taskId: string;
  /** The terminal outcome; null when the request failed or no outcome came in time. */
  response: WireTaskResponse | null;
  /** The RPC error, or the suite's own deadline, when there is no response. */
  failure?: string;
  /** The response output parsed as JSON (undefined when absent or not JSON). */
  output: unknown;
  /** Client-side time from request to outcome. */
  elapsedMs: number;
  /** The pass bound for this backend's kills (timeout overshoot, cancel latency). */
  killBoundMs: number;
  /** Client-side time from sending CancelTask to the outcome (cases with cancelAfterMs). */
  cancelLatencyMs?: number;
  /** Most processes of sandbox uids seen at once while the task ran (host checks only). */
  peakSandboxProcs?: number;
}

/** A case's judgement of one observation; `observed` is the short figure shown in the table cell. */
export interface Verdict {
  pass: boolean;
  observed: string;
  detail?: string;
  /** Named figures for the JSON report (kill_latency_ms, peak_memory_bytes, errno, …). */
  values?: Record<string, number | string | boolean>;
}

export interface CaseSpec {
  id: string;
  title: string;
  calls: Partial<Record<Backend, CaseCall | NotApplicable>>;
  /** Judges the outcome; may look at the host (listener hits, planted files, leftover processes). */
  expect(o: Observation, probe: HostProbe): Verdict | Promise<Verdict>;
  /** Run a good task beside the hostile one (default true). */
  concurrentGood?: boolean;
  /** Before each hostile task: set up what it aims at (the egress rows' upstream); a throw fails the cell. */
  prepare?(probe: HostProbe): Promise<void>;
}

/** NOT_CONFIGURED: the target does not host the case's agents; neither passed nor failed (own exit code). */
export type CellResult = 'PASS' | 'FAIL' | 'NA' | 'UNAVAILABLE' | 'NOT_CONFIGURED';

export interface GoodTaskResult { pass: boolean; status: string; detail: string; elapsedMs: number }

export interface CellReport {
  result: CellResult;
  observed: string;
  detail: string;
  agent?: string;
  status?: string;
  errorCode?: string;
  elapsedMs?: number;
  usage?: WireTaskResponse['usage'];
  values?: Verdict['values'];
  good?: GoodTaskResult;
}

export interface CaseReport { id: string; title: string; cells: Partial<Record<Backend, CellReport>> }

export interface LeakReport { id: string; title: string; result: Exclude<CellResult, 'UNAVAILABLE' | 'NOT_CONFIGURED'>; observed: string; detail: string; values?: Verdict['values'] }

export interface BackendReport { name: Backend; selected: boolean; available: boolean; reason: string; killBoundMs: number }

export interface SuiteReport {
  target: string;
  inProcess: boolean;
  startedAt: string;
  durationMs: number;
  backends: BackendReport[];
  cases: CaseReport[];
  leaks: LeakReport[];
  passed: boolean;
}

export function isNotApplicable(c: CaseCall | NotApplicable | undefined): c is NotApplicable {
  return c !== undefined && 'na' in c;
}
