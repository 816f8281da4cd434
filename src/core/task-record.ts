// A task as the daemon keeps it: identity, request fingerprint, lifecycle state and, once terminal, its outcome.
import type { ExecutionResult, TaskStatus } from '../contract/outcome.js';
import type { Limits } from '../contract/limits.js';
import type { NetworkPolicy, RuntimeName } from '../contract/agent.js';
import { invalid } from './domain-error.js';

export interface TaskRecord {
  taskId: string;
  agentId: string;
  runtime: RuntimeName;
  capability: string;
  /** Fingerprint of (agent, capability, input, requested limits): same id + other hash → ALREADY_EXISTS. */
  requestHash: string;
  limits: Limits;
  /** The effective egress allowlist (the agent's, or the request's narrowing of it); absent = no network. */
  network?: NetworkPolicy;
  status: TaskStatus;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Present once status is terminal. */
  result?: ExecutionResult;
}

/** What a store needs to record an accepted task; a shared store also keeps what another daemon needs to run it. */
export interface NewTask {
  record: TaskRecord;
  /** The parsed JSON input (a shared store keeps it so any replica can run the task). */
  input: unknown;
  /** Fingerprint of the agent's manifest: only daemons hosting the same agent may claim the task. */
  agentHash: string;
  /** Set when the receiving daemon runs it at once: the record is inserted RUNNING, owned by this daemon. */
  claimedBy?: string;
  /** Fleet-wide bound on unclaimed QUEUED tasks of this runtime (shared stores only). */
  queueMax?: number;
}

/** Filters and paging of a task listing; newest first. */
export interface TaskQuery {
  agentId?: string;
  status?: TaskStatus;
  /** Only tasks created at or after this time (ms since epoch). */
  sinceMs?: number;
  limit: number;
  /** The `next` of the previous page; '' or undefined for the first. */
  pageToken?: string;
}

export interface TaskPage {
  records: TaskRecord[];
  /** '' on the last page. */
  next: string;
}

export interface TaskUpdate {
  taskId: string;
  status: TaskStatus;
  /** 'egress': a denied egress attempt (the message says what and why). */
  kind: 'status' | 'log' | 'egress' | 'result';
  message: string;
  timestampMs: number;
  /** Set on the terminal update. */
  record?: TaskRecord;
}

export function isTerminal(status: TaskStatus): boolean {
  return status !== 'QUEUED' && status !== 'RUNNING';
}

/** Page tokens are the (createdAt, taskId) of the last record returned, opaque to clients. */
export function pageToken(r: TaskRecord): string {
  return Buffer.from(`${r.createdAt}:${r.taskId}`).toString('base64url');
}

export function parsePageToken(token: string | undefined): { createdAt: number; taskId: string } | undefined {
  if (!token) return undefined;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const at = text.indexOf(':');
  const createdAt = Number(text.slice(0, at));
  if (at < 1 || !Number.isSafeInteger(createdAt)) throw invalid(`page_token ${JSON.stringify(token.slice(0, 140))} is invalid`);
  return { createdAt, taskId: text.slice(at + 1) };
}
