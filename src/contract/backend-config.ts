// Each backend's validated settings ([runtimes.<name>]): config produces them, the daemon hands each backend its own.
import type { RuntimeName } from './agent.js';

/** What every backend's queue is sized by (the scheduler's part). */
export interface SchedulingConfig {
  /** Tasks running at once on this backend. */
  concurrency: number;
  /** Tasks waiting beyond those running; past it, RESOURCE_EXHAUSTED. */
  queue: number;
}

export interface WasmBackendConfig extends SchedulingConfig {
  /** Warm worker threads. */
  workers: number;
}

export interface NativeBackendConfig extends SchedulingConfig {
  /** First sandbox uid and how many (one per concurrent task). */
  uidStart: number;
  uidCount: number;
}

export interface DockerBackendConfig extends SchedulingConfig {
  /** Engine address (unix:///path.sock, tcp://host:2375); unset = $DOCKER_HOST, else /var/run/docker.sock. */
  host?: string;
}

export interface BackendConfigs {
  wasm: WasmBackendConfig;
  native: NativeBackendConfig;
  docker: DockerBackendConfig;
}

/** One backend's name with its own settings only: what createRuntime receives. */
export type BackendSlice = { [N in RuntimeName]: { name: N; config: BackendConfigs[N] } }[RuntimeName];

export function backendSlice(backends: BackendConfigs, name: RuntimeName): BackendSlice {
  return { name, config: backends[name] } as BackendSlice;
}
