// A task as the daemon keeps it: identity, request fingerprint, lifecycle state and, once terminal, its outcome.
import type { ExecutionResult, TaskStatus } from '../contract/outcome.js';
import type { Limits } from '../contract/limits.js';
import type { RuntimeName } from '../contract/agent.js';

export interface TaskRecord {
  taskId: string;
  agentId: string;
  runtime: RuntimeName;
  capability: string;
  /** Fingerprint of (agent, capability, input, requested limits): same id + other hash → ALREADY_EXISTS. */
  requestHash: string;
  limits: Limits;
  status: TaskStatus;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Present once status is terminal. */
  result?: ExecutionResult;
}

export interface TaskUpdate {
  taskId: string;
  status: TaskStatus;
  kind: 'status' | 'log' | 'result';
  message: string;
  timestampMs: number;
  /** Set on the terminal update. */
  record?: TaskRecord;
}

export function isTerminal(status: TaskStatus): boolean {
  return status !== 'QUEUED' && status !== 'RUNNING';
}
