// The one place that maps a runtime name to its backend implementation.
import type { Logger } from 'pino';
import type { Config } from '../config/config-types.js';
import { DockerRuntime } from './docker/docker-runtime.js';
import { NativeRuntime } from './native/native-runtime.js';
import type { Limits } from '../contract/limits.js';
import type { AgentSpec, RuntimeName } from '../contract/agent.js';
import type { Runtime } from './runtime.js';
import { WasmRuntime } from './wasm/wasm-runtime.js';

export interface RuntimeContext {
  config: Config;
  logger: Logger;
  /** Unique per daemon run; labels Docker containers and names cgroup subtrees. */
  daemonId: string;
  /** An agent's resolved default limits (pools are pre-started with them). */
  agentLimits: (agent: AgentSpec) => Limits;
}

export function createRuntime(name: RuntimeName, ctx: RuntimeContext): Runtime {
  const logger = ctx.logger.child({ runtime: name });
  const b = ctx.config.backends[name];
  switch (name) {
    case 'wasm':
      return new WasmRuntime({ workers: b.workers, logger, maxMemoryBytes: ctx.config.limits.max.memoryBytes });
    case 'native':
      return new NativeRuntime({ logger, uidRange: [b.uidStart, b.uidCount], agentLimits: ctx.agentLimits });
    case 'docker':
      return new DockerRuntime({ logger, daemonId: ctx.daemonId, agentLimits: ctx.agentLimits });
  }
}
