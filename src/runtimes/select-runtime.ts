// The one place that maps a runtime name to its backend implementation; each gets only its own settings.
import type { Logger } from 'pino';
import type { BackendSlice } from '../contract/backend-config.js';
import type { Limits } from '../contract/limits.js';
import type { AgentSpec } from '../contract/agent.js';
import { DockerRuntime } from './docker/docker-runtime.js';
import { NativeRuntime } from './native/native-runtime.js';
import type { Runtime } from './runtime.js';
import { WasmRuntime } from './wasm/host/wasm-runtime.js';

export interface RuntimeContext {
  logger: Logger;
  /** Unique per daemon run; labels Docker containers and names cgroup subtrees. */
  daemonId: string;
  /** The operator ceiling ([limits.max]); wasm clamps every module's memory maximum to it at load. */
  ceiling: Limits;
  /** An agent's resolved default limits (pools are pre-started with them). */
  agentLimits: (agent: AgentSpec) => Limits;
}

export function createRuntime(backend: BackendSlice, ctx: RuntimeContext): Runtime {
  const logger = ctx.logger.child({ runtime: backend.name });
  switch (backend.name) {
    case 'wasm':
      return new WasmRuntime({ workers: backend.config.workers, logger, maxMemoryBytes: ctx.ceiling.memoryBytes });
    case 'native':
      return new NativeRuntime({ logger, uidRange: [backend.config.uidStart, backend.config.uidCount], agentLimits: ctx.agentLimits });
    case 'docker':
      return new DockerRuntime({ logger, daemonId: ctx.daemonId, agentLimits: ctx.agentLimits, host: backend.config.host });
  }
}
