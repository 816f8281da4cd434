// The wasm backend as the registry knows it: its config keys, readers, schema, kill bound; the runtime loads lazily.
import type { SchedulingConfig } from '../../contract/backend-config.js';
import { existingFile, int, resolvePath, str } from '../../contract/settings-reader.js';
import type { BackendDescriptor } from '../backend.js';
import type { WasmAgentSpec } from './agent-spec.js';
import { WASM_ENFORCES } from './enforcement.js';

export interface WasmBackendConfig extends SchedulingConfig {
  /** Warm worker threads. */
  workers: number;
}

export const wasmBackend: BackendDescriptor<'wasm', WasmBackendConfig, WasmAgentSpec> = {
  name: 'wasm',
  scheduling: { concurrency: 4, queue: 1000 },
  settingsSchema: { workers: { type: 'integer', minimum: 0, description: 'warm worker threads' } },
  agentSchema: { module: { type: 'string', description: 'wasm core module or component' } },
  readSettings: (t, at, scheduling) => ({ ...scheduling, workers: int(t, 'workers', at, 2, 0, 256) }),
  readAgent: ({ table: t, at, baseDir, base }) => ({
    ...base, runtime: 'wasm', module: existingFile(resolvePath(baseDir, str(t, 'module', at)), `${at}.module`),
  }),
  runs: (a) => a.module,
  enforces: WASM_ENFORCES,
  killBoundMs: 50,
  async create(settings, ctx) {
    const { WasmRuntime } = await import('./host/wasm-runtime.js');
    return new WasmRuntime({ workers: settings.workers, logger: ctx.logger, maxMemoryBytes: ctx.ceiling.memoryBytes });
  },
};
