// Converts between the proto's plain objects and the domain's types, in both directions.
import type { TaskSubmission } from '../core/admission.js';
import { invalid } from '../core/domain-error.js';
import type { TaskQuery, TaskRecord, TaskUpdate } from '../core/task-record.js';
import type { AgentSpec, NetworkPolicy } from '../contract/agent.js';
import type { EgressLog, EgressRecord } from '../contract/egress-record.js';
import type { BackendHealth, LimitEnforcement } from '../runtimes/runtime.js';
import { LIMIT_TABLE, type Limits, type WireLimits } from '../contract/limits.js';
import type {
  WireBackendHealth, WireEgressRecord, WireLimitsIn, WireListTasksRequest, WireManifest, WireNetworkPolicy, WireTaskRequest,
  WireTaskResponse, WireTaskUpdate,
} from './wire-types.js';

export type { WireLimitsIn } from './wire-types.js';

/** Shape bounds of a request's `limits.network.allow`, checked here; syntax and the agent's list are admission's. */
export const MAX_ALLOW_ENTRIES = 64;
export const MAX_ALLOW_ENTRY_CHARS = 300;

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

/**
 * A request's allowlist narrowing: absent when `limits.network` is absent (= the agent's own list); a present
 * NetworkPolicy with an empty list narrows to nothing (no network for this task).
 */
export function networkFromWire(n: WireLimitsIn['network']): { allow: string[] } | undefined {
  if (n === undefined || n === null) return undefined;
  const allow = n.allow ?? [];
  if (!Array.isArray(allow)) throw invalid('limits.network.allow: expected a list of "HOST:PORT" strings');
  if (allow.length > MAX_ALLOW_ENTRIES) {
    throw invalid(`limits.network.allow[${MAX_ALLOW_ENTRIES}]: too many entries (${allow.length}; at most ${MAX_ALLOW_ENTRIES})`);
  }
  allow.forEach((e: unknown, i) => {
    const at = `limits.network.allow[${i}]`;
    if (typeof e !== 'string') throw invalid(`${at}: expected a "HOST:PORT" string`);
    if (e === '') throw invalid(`${at}: is empty (expected "HOST:PORT")`);
    if (e.length > MAX_ALLOW_ENTRY_CHARS) {
      throw invalid(`${at}: ${JSON.stringify(e.slice(0, 60))}… is ${e.length} characters long (at most ${MAX_ALLOW_ENTRY_CHARS})`);
    }
  });
  return { allow: [...(allow as string[])] };
}

export function networkToWire(p: NetworkPolicy | undefined): WireNetworkPolicy | null {
  return p ? { allow: [...p.allow] } : null;
}

export function submissionFromWire(req: WireTaskRequest): TaskSubmission {
  const network = networkFromWire(req.limits?.network);
  return {
    taskId: req.task_id ?? '',
    agentId: req.agent_id ?? '',
    capability: req.capability ?? '',
    input: req.input ?? Buffer.alloc(0),
    limits: limitsFromWire(req.limits),
    ...(network ? { network } : {}),
  };
}

export function egressRecordToWire(e: EgressRecord): WireEgressRecord {
  return {
    seq: e.seq, started_at_ms: Math.round(e.startedAt), kind: e.kind, host: e.host, port: e.port, address: e.address,
    decision: e.decision, reason: e.reason, detail: e.detail, entry: e.entry ?? '',
    bytes_up: e.bytesUp, bytes_down: e.bytesDown, duration_ms: Math.round(e.durationMs), error: e.error ?? '',
  };
}

function egressLogToWire(log: EgressLog | undefined): Pick<WireTaskResponse, 'egress_log' | 'egress_log_dropped'> {
  return { egress_log: log?.records.map(egressRecordToWire) ?? [], egress_log_dropped: log?.dropped ?? 0 };
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
      // An outcome stored before egress existed has neither field.
      egress_bytes: u.egressBytes ?? 0, egress_connections: u.egressConnections ?? 0,
    } : null,
    metrics: res?.metrics ?? {},
    limits: { ...limitsToWire(r.limits), network: networkToWire(r.network) },
    created_at_ms: r.createdAt, started_at_ms: r.startedAt ?? 0, finished_at_ms: r.finishedAt ?? 0,
    ...egressLogToWire(res?.egress),
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
    // The agent's allowlist: what a request may narrow `limits.network.allow` to.
    limits: { ...limitsToWire(effective), network: networkToWire(a.network) },
  };
}

export function backendToWire(h: BackendHealth, queued: number, running: number, enforces: LimitEnforcement): WireBackendHealth {
  const mechanisms = Object.fromEntries(LIMIT_TABLE.map((r) => [r.wire, enforces[r.key] ?? '']));
  return { runtime: h.runtime, available: h.available, reason: h.reason, features: h.features, queued, running, enforces: mechanisms };
}
