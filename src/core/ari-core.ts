// What the transport layer may ask of the daemon: tasks, agents and health, with no gRPC in sight.
import type { Limits } from '../contract/limits.js';
import type { AgentSpec } from '../contract/agent.js';
import type { BackendHealth, LimitEnforcement } from '../runtimes/runtime.js';
import type { AgentRegistry } from './agent-registry.js';
import type { FleetHealth } from './fleet-member.js';
import type { TaskService } from './task-service.js';

export interface BackendReport {
  health: BackendHealth;
  /** What enforces each limit on this backend. */
  enforces: LimitEnforcement;
  queued: number;
  running: number;
}

export interface HealthReport {
  serving: boolean;
  version: string;
  uptimeMs: number;
  backends: BackendReport[];
  /** Present when the daemon is a fleet member (shared task store). */
  fleet?: FleetHealth;
}

export interface AriCore {
  tasks: TaskService;
  registry: AgentRegistry;
  /** The limits a task of this agent gets when the request sets none. */
  agentLimits(agent: AgentSpec): Limits;
  health(): Promise<HealthReport>;
  maxListPage: number;
}
