// Converts between the proto's plain objects and the domain's types, in both directions.
import type { TaskSubmission } from '../core/admission.js';
import type { TaskRecord, TaskUpdate } from '../core/task-record.js';
import type { AgentSpec } from '../contract/agent.js';
import type { BackendHealth } from '../runtimes/runtime.js';
import type { Limits } from '../contract/limits.js';
import type {
  WireBackendHealth, WireLimits, WireManifest, WireTaskRequest, WireTaskResponse, WireTaskUpdate,
} from './wire-types.js';

export function limitsFromWire(l: WireLimits | null | undefined): Partial<Limits> {
  if (!l) return {};
  return {
    timeoutMs: l.timeout_ms, memoryBytes: l.memory_bytes, cpuMillis: l.cpu_millis,
    fuel: l.fuel, pids: l.pids, outputBytes: l.output_bytes,
  };
}

export function limitsToWire(l: Partial<Limits>): WireLimits {
  return {
    timeout_ms: l.timeoutMs ?? 0, memory_bytes: l.memoryBytes ?? 0, cpu_millis: l.cpuMillis ?? 0,
    fuel: l.fuel ?? 0, pids: l.pids ?? 0, output_bytes: l.outputBytes ?? 0,
  };
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

export function backendToWire(h: BackendHealth, queued: number, running: number): WireBackendHealth {
  return { runtime: h.runtime, available: h.available, reason: h.reason, features: h.features, queued, running };
}
