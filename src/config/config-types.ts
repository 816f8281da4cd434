// The validated daemon configuration: what the rest of the daemon trusts without re-checking.
import type { Limits } from '../contract/limits.js';
import type { AgentSpec, RuntimeName } from '../contract/agent.js';

export interface BackendConfig {
  /** Tasks running at once on this backend. */
  concurrency: number;
  /** Tasks waiting beyond those running; past it, RESOURCE_EXHAUSTED. */
  queue: number;
  /** wasm: warm worker threads. */
  workers: number;
  /** native: first sandbox uid and how many (one per concurrent task). */
  uidStart: number;
  uidCount: number;
}

export interface AuthConfig {
  tokens: string[];
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  insecure: boolean;
}

export interface ServerConfig {
  listen: string;
  metrics: string | null;
  /** unix socket file mode, e.g. 0o660 */
  socketMode: number;
  /** Grace for in-flight tasks on shutdown before they are cancelled. */
  shutdownGraceMs: number;
  maxRequestBytes: number;
  maxInputBytes: number;
  maxListPage: number;
  keepaliveMs: number;
  maxConnectionAgeMs: number;
}

export interface StorageConfig {
  /** Directory of the outcome database; null = memory only. */
  path: string | null;
  retainCount: number;
  retainMs: number;
}

export interface Config {
  /** Absolute path of the file it came from, or "<embedded default>". */
  source: string;
  server: ServerConfig;
  limits: { default: Limits; max: Limits };
  backends: Record<RuntimeName, BackendConfig>;
  storage: StorageConfig;
  auth: AuthConfig;
  agents: AgentSpec[];
}
