// The agent vocabulary: runtimes, manifests, the validated agent spec and the task a runtime is handed.
import type { Limits } from './limits.js';

export type RuntimeName = 'wasm' | 'docker' | 'native';
export const RUNTIME_NAMES: readonly RuntimeName[] = ['wasm', 'docker', 'native'];

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

/** One agent as validated from config; paths are absolute. */
export interface AgentSpec {
  id: string;
  runtime: RuntimeName;
  manifest: AgentManifest;
  /** Agent-level limits from config (partial: resolved per task). */
  limits: Partial<Limits>;
  /** Environment the agent sees; nothing else of the daemon's leaks in. */
  env: Record<string, string>;
  /** wasm: absolute path of the core module or component. */
  module?: string;
  /** native: argv; argv[0] absolute. */
  command?: string[];
  /** native: extra absolute host paths bound read-only into the sandbox. */
  binds?: string[];
  /** native: working directory inside the sandbox (a bound path). */
  cwd?: string;
  /** docker: image reference. */
  image?: string;
  /** docker and native: pre-started sandboxes kept ready, each used for one task (0 disables). */
  pool?: number;
  /** docker: build context directory used to build `image` when it is missing. */
  build?: string;
  /** Directory the agent's config file lives in (for relative lookups, e.g. image build contexts). */
  baseDir: string;
}

/** One task as a runtime sees it: validated, limits resolved. */
export interface ExecutionTask {
  taskId: string;
  agentId: string;
  capability: string;
  /** The parsed input value. */
  input: unknown;
  limits: Limits;
}

/** The document written to an agent's stdin (native, docker, WASI) or passed to execute_task. */
export function taskDocument(task: ExecutionTask): string {
  return JSON.stringify({ task_id: task.taskId, capability: task.capability, input: task.input });
}
