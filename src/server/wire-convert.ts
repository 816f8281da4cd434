// Converts between the proto's plain objects and the domain's types, in both directions.
import type { TaskSubmission } from '../core/admission.js';
import { invalid } from '../core/domain-error.js';
import type { TaskQuery, TaskRecord, TaskUpdate } from '../core/task-record.js';
import type { AgentSpec } from '../contract/agent.js';
import type { BackendHealth, LimitEnforcement } from '../runtimes/runtime.js';
import { LIMIT_TABLE, type Limits, type WireLimits } from '../contract/limits.js';
import type {
  WireBackendHealth, WireListTasksRequest, WireManifest, WireTaskRequest, WireTaskResponse, WireTaskUpdate,
} from './wire-types.js';

/** A request's limits as decoded: 64-bit fields arrive as decimal strings, so messages can quote them exactly. */
export type WireLimitsIn = { [K in keyof WireLimits]?: number | string | null };

/** Only the limits the client set (0 / absent = unset, resolved later). */
export function limitsFromWire(l: WireLimitsIn | null | undefined): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const r of LIMIT_TABLE) {
    const v = l?.[r.wire];
    if (v === undefined || v === null) continue;
    const n = Number(v);
    // Refused here, where the exact digits are known: as a double, 2^63 would print as 9223372036854776000.
    if (!Number.isSafeInteger(n)) throw invalid(`limits.${r.wire}: ${String(v)} is not a valid value (at most ${Number.MAX_SAFE_INTEGER})`);
    out[r.key] = n;
  }
  return out;
}

export function limitsToWire(l: Partial<Limits>): WireLimits {
  return Object.fromEntries(LIMIT_TABLE.map((r) => [r.wire, l[r.key] ?? 0])) as WireLimits;
}

export function submissionFromWire(req: WireTaskRequest): TaskSubmission {
  return {
    taskId: req.task_id ?? '',
    agentId: req.agent_id ?? '',
    capability: req.capability ?? '',
    input: req.input ?? Buffer.alloc(0),
    limits: limitsFromWire(req.limits),
  };
}

export function recordToWire(r: TaskRecord): WireTaskResponse {
  try {
    return recordToWireUnguarded(r);
  } catch (e) {
    // Last line of the output path: an outcome that cannot be encoded is answered as what it is, not INTERNAL.
    if (!r.result) throw e;
    return recordToWireUnguarded({ ...r, status: 'FAILED', result: { ...r.result, status: 'FAILED', output: undefined, metrics: {},
      error: { code: 'BAD_OUTPUT', message: `agent result cannot be encoded: ${(e as Error).message}`.slice(0, 4096) } } });
  }
}

function recordToWireUnguarded(r: TaskRecord): WireTaskResponse {
  const res = r.result;
  const u = res?.usage;
  return {
    task_id: r.taskId,
    agent_id: r.agentId,
    runtime: r.runtime,
    capability: r.capability,
    status: r.status,
    output: res && res.output !== undefined ? Buffer.from(JSON.stringify(res.output)) : Buffer.alloc(0),
    error: res?.error ? { code: res.error.code, message: res.error.message } : null,
    usage: u ? {
      wall_ms: Math.round(u.wallMs), cpu_ms: Math.round(u.cpuMs), peak_memory_bytes: u.peakMemoryBytes, fuel_consumed: u.fuelConsumed,
      exit_code: u.exitCode, signal: u.signal, output_bytes: u.outputBytes,
    } : null,
    metrics: res?.metrics ?? {},
    limits: limitsToWire(r.limits),
    created_at_ms: r.createdAt, started_at_ms: r.startedAt ?? 0, finished_at_ms: r.finishedAt ?? 0,
  };
}

export function listQueryFromWire(req: WireListTasksRequest, maxPage: number): TaskQuery {
  const status = req.status && req.status !== 'TASK_STATUS_UNSPECIFIED' ? req.status : undefined;
  return {
    agentId: req.agent_id || undefined,
    status,
    sinceMs: Number(req.since_ms) || undefined, // int64 arrives as a decimal string (loadAriServer)
    limit: Math.min(req.page_size || maxPage, maxPage),
    pageToken: req.page_token || undefined,
  };
}

export function updateToWire(u: TaskUpdate): WireTaskUpdate {
  return {
    task_id: u.taskId, status: u.status, message: u.message, timestamp_ms: u.timestampMs, kind: u.kind,
    result: u.record ? recordToWire(u.record) : null,
  };
}

export function manifestToWire(a: AgentSpec, effective: Limits): WireManifest {
  return {
    id: a.id,
    name: a.manifest.name,
    version: a.manifest.version,
    description: a.manifest.description,
    runtime: a.runtime,
    capabilities: a.manifest.capabilities.map((c) => ({ name: c.name, description: c.description, schema: JSON.stringify(c.schema) })),
    requirements: a.manifest.requirements,
    limits: limitsToWire(effective),
  };
}

export function backendToWire(h: BackendHealth, queued: number, running: number, enforces: LimitEnforcement): WireBackendHealth {
  const mechanisms = Object.fromEntries(LIMIT_TABLE.map((r) => [r.wire, enforces[r.key] ?? '']));
  return { runtime: h.runtime, available: h.available, reason: h.reason, features: h.features, queued, running, enforces: mechanisms };
}
