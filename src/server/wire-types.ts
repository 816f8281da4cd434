// The proto messages as plain objects (proto-loader with keepCase/enums-as-strings/longs-as-numbers).
import type { WireLimits } from '../contract/limits.js';
import type { TaskStatus } from '../contract/outcome.js';

/** Derived from the one limit table: a new row is a new field here. */
export type { WireLimits } from '../contract/limits.js';
export interface WireUsage {
  wall_ms: number; cpu_ms: number; peak_memory_bytes: number; fuel_consumed: number;
  exit_code: number; signal: string; output_bytes: number;
  egress_bytes: number; egress_connections: number;
}
/** ari.v1.NetworkPolicy: "HOST:PORT" entries. */
export interface WireNetworkPolicy { allow: string[] }
/** The Limits message: the table's numeric rows plus the optional allowlist (null / absent = none set). */
export type WireTaskLimits = WireLimits & { network?: WireNetworkPolicy | null };
/** A request's limits as decoded: 64-bit fields arrive as decimal strings (see loadAriServer). */
export type WireLimitsIn = { [K in keyof WireLimits]?: number | string | null } & { network?: { allow?: unknown } | null };
export interface WireTaskRequest {
  task_id: string; agent_id: string; capability: string; input: Buffer; limits?: WireLimitsIn | null;
}
/** ari.v1.EgressRecord: one egress attempt ('' for an unset entry / error). */
export interface WireEgressRecord {
  seq: number; started_at_ms: number; kind: string; host: string; port: number; address: string;
  decision: string; reason: string; detail: string; entry: string;
  bytes_up: number; bytes_down: number; duration_ms: number; error: string;
}
export interface WireTaskResponse {
  task_id: string; agent_id: string; runtime: string; status: TaskStatus | 'TASK_STATUS_UNSPECIFIED';
  output: Buffer; error: { code: string; message: string } | null; usage: WireUsage | null;
  metrics: Record<string, number>; limits: WireTaskLimits | null; capability: string;
  /** ms since the epoch; 0 = not yet. */
  created_at_ms?: number; started_at_ms?: number; finished_at_ms?: number;
  /** The kept egress attempts (at most EGRESS_LOG_CAP) and how many more were counted but not kept. */
  egress_log?: WireEgressRecord[]; egress_log_dropped?: number;
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
  capabilities: WireCapability[]; requirements: Record<string, string>; limits: WireTaskLimits | null;
}
export interface WireBackendHealth {
  runtime: string; available: boolean; reason: string; features: Record<string, string>; queued: number; running: number;
  /** Limit wire name → enforcing mechanism, '' = not enforced. */
  enforces: Record<string, string>;
}
export interface WireFleetMember { daemon_id: string; host: string; address: string; heartbeat_ms: number; live: boolean; free_slots: Record<string, number> }
export interface WireFleetStatus { daemon_id: string; members: WireFleetMember[]; queue_depth: Record<string, number>; mismatches: string[]; store_reachable: boolean }
export interface WireHealthStatus { serving: boolean; version: string; backends: WireBackendHealth[]; uptime_ms: number; fleet?: WireFleetStatus | null }
