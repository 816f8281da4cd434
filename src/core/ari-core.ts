// What the transport layer may ask of the daemon: tasks, agents and health, with no gRPC in sight.
import type { Limits } from '../contract/limits.js';
import type { AgentSpec } from '../contract/agent.js';
import type { BackendHealth } from '../runtimes/runtime.js';
import type { AgentRegistry } from './agent-registry.js';
import type { TaskService } from './task-service.js';

export interface BackendReport {
  health: BackendHealth;
  queued: number;
  running: number;
}

export interface HealthReport {
  serving: boolean;
  version: string;
  uptimeMs: number;
  backends: BackendReport[];
}

export interface AriCore {
  tasks: TaskService;
  registry: AgentRegistry;
  /** The limits a task of this agent gets when the request sets none. */
  agentLimits(agent: AgentSpec): Limits;
  health(): Promise<HealthReport>;
  maxListPage: number;
}
