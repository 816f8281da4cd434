// Messages between the wasm worker pool (main thread) and its worker threads.
import type { ExecutionResult } from '../../contract/outcome.js';
import type { Limits } from '../../contract/limits.js';

export type WasmAbi = 'seed' | 'wasi' | ComponentShape;

/** Component agents (issue 5): a `wasi:cli/run` command, or an `execute-task` export (proto/ari/v1/agent.wit). */
export type ComponentShape = 'component-run' | 'component-task';

/** A transpiled component as a worker needs it: jco's glue as an importable URL and its instrumented, compiled core modules. */
export interface ComponentArtifact {
  glueUrl: string;
  cores: Record<string, WebAssembly.Module>;
  /** The component imports WASI interfaces (every command does; a task component may). */
  wasi: boolean;
}

/** What a task instantiates: a core module, or a component's parts. */
export type WasmArtifact = WebAssembly.Module | ComponentArtifact;

/**
 * A component "task" with this document only loads the component's glue (and the WASI shim) in the worker that
 * gets it, so the first real task does not pay that one-time cost against its deadline. Real task documents are
 * never empty (they are JSON objects).
 */
export const WARM_UP_DOCUMENT = '';

export function isComponentAbi(abi: WasmAbi): abi is ComponentShape {
  return abi === 'component-run' || abi === 'component-task';
}

/** Data every worker is started with. */
export interface WorkerInit {
  /** Int32Array[1] over this buffer: non-zero = cancel the running task at its next fuel slice. */
  cancel: SharedArrayBuffer;
  /** The request/result fast path (worker-channel.ts). */
  channel: SharedArrayBuffer;
}

export interface RunRequest {
  type: 'run';
  jobId: number;
  /** Identifies one compiled module; the worker caches modules by it. */
  moduleKey: string;
  /** Sent only when the pool believes the worker does not have `moduleKey` yet. */
  module?: WasmArtifact;
  abi: WasmAbi;
  agentId: string;
  env: Record<string, string>;
  /** The task document (JSON) handed to execute_task or fed to stdin. */
  document: string;
  limits: Limits;
  /** Absolute Date.now() after which the task is TIMEOUT. */
  deadline: number;
}

export type WorkerReply =
  /** Sent once when the worker has loaded and can take tasks. */
  | { type: 'ready' }
  | { type: 'log'; jobId: number; line: string }
  | { type: 'result'; jobId: number; result: ExecutionResult }
  /** The worker had no module for `moduleKey` (evicted): resend with the module. */
  | { type: 'need-module'; jobId: number };
