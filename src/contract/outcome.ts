// The outcome vocabulary every backend reports: statuses, error codes, usage and the result shape.
import type { EgressLog } from './egress-record.js';

export type TerminalStatus =
  | 'COMPLETED'
  | 'FAILED'
  | 'TIMEOUT'
  | 'OUT_OF_FUEL'
  | 'OUT_OF_MEMORY'
  | 'CPU_LIMIT'
  | 'OUTPUT_LIMIT'
  | 'NETWORK_LIMIT' // an egress budget (egress_bytes / egress_connections) was crossed
  | 'CANCELLED';
export type TaskStatus = 'QUEUED' | 'RUNNING' | TerminalStatus;

export const TERMINAL_STATUSES: readonly TerminalStatus[] = [
  'COMPLETED', 'FAILED', 'TIMEOUT', 'OUT_OF_FUEL', 'OUT_OF_MEMORY', 'CPU_LIMIT', 'OUTPUT_LIMIT', 'NETWORK_LIMIT', 'CANCELLED',
];

/** Error codes carried with a non-COMPLETED outcome. */
export type ErrorCode =
  | 'AGENT_ERROR'   // the agent answered {"error": ...} or exited non-zero
  | 'CRASHED'       // trap, signal, stack overflow
  | 'BAD_OUTPUT'    // stdout was not one valid result document
  | 'TIMEOUT'
  | 'OUT_OF_FUEL'
  | 'OUT_OF_MEMORY'
  | 'CPU_LIMIT'
  | 'OUTPUT_LIMIT'
  | 'NETWORK_LIMIT'
  | 'CANCELLED'
  | 'SANDBOX_ERROR' // the sandbox itself failed to start; the agent never ran
  | 'DAEMON_RESTARTED'
  | 'DAEMON_LOST';   // the fleet replica running it stopped renewing its lease; it was not run again

export interface Usage {
  wallMs: number;
  cpuMs: number;
  peakMemoryBytes: number;
  fuelConsumed: number;
  exitCode: number;
  signal: string;
  outputBytes: number;
  /** Bytes exchanged with allowed destinations through the egress proxy, both directions. */
  egressBytes: number;
  /** Upstream connections the egress proxy opened for the task. */
  egressConnections: number;
}

export function emptyUsage(): Usage {
  return { wallMs: 0, cpuMs: 0, peakMemoryBytes: 0, fuelConsumed: 0, exitCode: 0, signal: '', outputBytes: 0, egressBytes: 0, egressConnections: 0 };
}

/** One honest shape for every way an execution ends. */
export interface ExecutionResult {
  status: TerminalStatus;
  /** The agent's output value (already parsed JSON), present when COMPLETED. */
  output?: unknown;
  error?: { code: ErrorCode; message: string };
  usage: Usage;
  metrics: Record<string, number>;
  /** The agent's log lines (stderr / env.log), capped; set by the task service, kept with the outcome. */
  logs?: string[];
  /** The task's egress log (agents with a network policy); set by the task service, kept with the outcome. */
  egress?: EgressLog;
}
