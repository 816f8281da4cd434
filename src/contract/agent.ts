// The agent vocabulary: runtimes, manifests, the validated agent spec and the task a runtime is handed.
import type { Limits } from './limits.js';

/**
 * A backend's name. A plain string here: the contract sits below the backends, so it cannot list them; the one list
 * is the registry (src/runtimes/backends.ts: RUNTIME_NAMES, BackendName), and config validates names against it once.
 */
export type RuntimeName = string;

export interface CapabilitySpec {
  name: string;
  description: string;
  /** JSON Schema of the capability's input. */
  schema: Record<string, unknown>;
}

export interface AgentManifest {
  name: string;
  version: string;
  description: string;
  capabilities: CapabilitySpec[];
  requirements: Record<string, string>;
}

/**
 * What every agent has, whatever runs it; paths are absolute. Each backend extends it with its own fields, in its own
 * folder (e.g. src/runtimes/wasm/agent-spec.ts); above the runtimes an agent is only this.
 */
export interface AgentSpec {
  id: string;
  runtime: RuntimeName;
  manifest: AgentManifest;
  /** Agent-level limits from config (partial: resolved per task). */
  limits: Partial<Limits>;
  /** Environment the agent sees; nothing else of the daemon's leaks in. */
  env: Record<string, string>;
  /** Directory the agent's config file lives in (for relative lookups, e.g. image build contexts). */
  baseDir: string;
  /** Egress allowlist ([agents.network]); absent = no network at all, on every backend. */
  network?: NetworkPolicy;
}

/** An egress allowlist: `HOST:PORT` entries, validated and within the operator's [network] ceiling. */
export interface NetworkPolicy {
  readonly allow: readonly string[];
}

/** One task as a runtime sees it: validated, limits resolved. */
export interface ExecutionTask {
  taskId: string;
  agentId: string;
  capability: string;
  /** The parsed input value. */
  input: unknown;
  limits: Limits;
  /** W3C traceparent of the task's span when tracing is on; native and Docker agents get it as TRACEPARENT. */
  traceparent?: string;
}

/** The document written to an agent's stdin (native, docker, WASI) or passed to execute_task. */
export function taskDocument(task: ExecutionTask): string {
  const doc = { task_id: task.taskId, capability: task.capability, input: task.input };
  // A pre-started (pooled) sandbox was spawned before the task existed: the document is how it learns the trace.
  return JSON.stringify(task.traceparent ? { ...doc, traceparent: task.traceparent } : doc);
}

/** The agent as a cold-started sandbox of this task sees it: its env plus TRACEPARENT when the task is traced. */
export function withTraceEnv<A extends AgentSpec>(agent: A, task: ExecutionTask): A {
  return task.traceparent ? { ...agent, env: { ...agent.env, TRACEPARENT: task.traceparent } } : agent;
}
