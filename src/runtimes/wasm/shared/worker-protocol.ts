// Messages between the wasm worker pool (main thread) and its worker threads.
import type { ExecutionResult } from '../../../contract/outcome.js';
import type { Limits } from '../../../contract/limits.js';

export type WasmAbi = 'seed' | 'wasi' | ComponentShape;

/** Component agents (issue 5): a `wasi:cli/run` command, or an `execute-task` export (proto/ari/v1/agent.wit). */
export type ComponentShape = 'component-run' | 'component-task';

/** A transpiled component as a worker needs it: jco's glue as an importable URL and its instrumented, compiled core modules. */
export interface ComponentArtifact {
  glueUrl: string;
  cores: Record<string, WebAssembly.Module>;
  /** The component imports WASI interfaces (every command does; a task component may). */
  wasi: boolean;
  /** It imports wasi:http/outgoing-handler: a task with a network policy gets an egress endpoint opened for it. */
  http?: boolean;
}

/** A component task's egress proxy endpoint as the host opened it, and extra trust roots (PEM) for https. */
export interface EgressTarget {
  host: string;
  port: number;
  ca?: string[];
}

/** What a task instantiates: a core module, or a component's parts. */
export type WasmArtifact = WebAssembly.Module | ComponentArtifact;

export function isComponentAbi(abi: WasmAbi): abi is ComponentShape {
  return abi === 'component-run' || abi === 'component-task';
}

/** Data every worker is started with. */
export interface WorkerInit {
  /** The cancel flag and published fuel (shared/control-block.ts). */
  control: SharedArrayBuffer;
  /** The request/result fast path (shared/channel-layout.ts). */
  channel: SharedArrayBuffer;
}

/** What every message about one module carries. */
interface ModuleMessage {
  jobId: number;
  /** Identifies one compiled module; the worker caches modules by it. */
  moduleKey: string;
  /** Sent only when the pool believes the worker does not have `moduleKey` yet. */
  module?: WasmArtifact;
  abi: WasmAbi;
  /**
   * Bytes an instance holds outside its linear memories, as declared by the module(s): tables at their initial size,
   * globals and the instrumenter's own structures. Counted against memory_bytes and in peak_memory_bytes.
   */
  footprintBytes: number;
  /** Pages of the memory the instrumented module imports as `__ari.memory` (pooled by the worker); absent: it defines its own. */
  memory?: { initial: number; maximum: number };
}

export interface RunRequest extends ModuleMessage {
  type: 'run';
  agentId: string;
  env: Record<string, string>;
  /** The task document (JSON) handed to execute_task or fed to stdin. */
  document: string;
  limits: Limits;
  /** Absolute Date.now() after which the task is TIMEOUT. */
  deadline: number;
  /** Present when the task may use the network (components only): every wasi:http request goes there. */
  egress?: EgressTarget;
}

/**
 * Loads a module's one-time parts (a component's glue and WASI shim) and builds a spare instance, off any task's
 * clock; answered with a `result` the pool does not report anywhere.
 */
export interface WarmUpRequest extends ModuleMessage {
  type: 'warm-up';
}

export type WorkerRequest = RunRequest | WarmUpRequest;

export type WorkerReply =
  /** Sent once when the worker has loaded and can take tasks; `tid` is its Linux thread id (for its CPU clock). */
  | { type: 'ready'; tid?: number }
  | { type: 'log'; jobId: number; line: string }
  | { type: 'result'; jobId: number; result: ExecutionResult }
  /** The worker had no module for `moduleKey` (evicted): resend with the module. */
  | { type: 'need-module'; jobId: number };
