// The proto messages as plain objects (proto-loader with keepCase/enums-as-strings/longs-as-numbers).
import type { TaskStatus } from '../contract/outcome.js';

export interface WireLimits {
  timeout_ms: number; memory_bytes: number; cpu_millis: number; fuel: number; pids: number; output_bytes: number;
}
export interface WireUsage {
  wall_ms: number; cpu_ms: number; peak_memory_bytes: number; fuel_consumed: number;
  exit_code: number; signal: string; output_bytes: number;
}
export interface WireTaskRequest {
  task_id: string; agent_id: string; capability: string; input: Buffer; limits?: WireLimits | null;
}
export interface WireTaskResponse {
  task_id: string; agent_id: string; runtime: string; status: TaskStatus | 'TASK_STATUS_UNSPECIFIED';
  output: Buffer; error: { code: string; message: string } | null; usage: WireUsage | null;
  metrics: Record<string, number>; limits: WireLimits | null; capability: string;
}
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
}
export interface WireHealthStatus { serving: boolean; version: string; backends: WireBackendHealth[]; uptime_ms: number }
