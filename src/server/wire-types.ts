// The proto messages as plain objects (proto-loader with keepCase/enums-as-strings/longs-as-numbers).
import type { WireLimits } from '../contract/limits.js';
import type { TaskStatus } from '../contract/outcome.js';

/** Derived from the one limit table: a new row is a new field here. */
export type { WireLimits } from '../contract/limits.js';
export interface WireUsage {
  wall_ms: number; cpu_ms: number; peak_memory_bytes: number; fuel_consumed: number;
  exit_code: number; signal: string; output_bytes: number;
}
export interface WireTaskRequest {
  /** Decoded with 64-bit fields as strings (see loadAriServer). */
  task_id: string; agent_id: string; capability: string; input: Buffer; limits?: { [K in keyof WireLimits]?: number | string | null } | null;
}
export interface WireTaskResponse {
  task_id: string; agent_id: string; runtime: string; status: TaskStatus | 'TASK_STATUS_UNSPECIFIED';
  output: Buffer; error: { code: string; message: string } | null; usage: WireUsage | null;
  metrics: Record<string, number>; limits: WireLimits | null; capability: string;
  /** ms since the epoch; 0 = not yet. */
  created_at_ms?: number; started_at_ms?: number; finished_at_ms?: number;
}
export interface WireListTasksRequest {
  agent_id: string; status: TaskStatus | 'TASK_STATUS_UNSPECIFIED'; since_ms: number | string; page_size: number; page_token: string;
}
export interface WireTaskLogs { task_id: string; status: string; lines: string[]; truncated: boolean }
export interface WireTaskUpdate {
  task_id: string; status: string; message: string; timestamp_ms: number; result: WireTaskResponse | null; kind: string;
}
export interface WireCapability { name: string; description: string; schema: string }
export interface WireManifest {
  id: string; name: string; version: string; description: string; runtime: string;
  capabilities: WireCapability[]; requirements: Record<string, string>; limits: WireLimits | null;
}
export interface WireBackendHealth {
  runtime: string; available: boolean; reason: string; features: Record<string, string>; queued: number; running: number;
  /** Limit wire name → enforcing mechanism, '' = not enforced. */
  enforces: Record<string, string>;
}
export interface WireFleetMember { daemon_id: string; host: string; address: string; heartbeat_ms: number; live: boolean; free_slots: Record<string, number> }
export interface WireFleetStatus { daemon_id: string; members: WireFleetMember[]; queue_depth: Record<string, number>; mismatches: string[]; store_reachable: boolean }
export interface WireHealthStatus { serving: boolean; version: string; backends: WireBackendHealth[]; uptime_ms: number; fleet?: WireFleetStatus | null }
