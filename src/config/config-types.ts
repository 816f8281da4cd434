// The validated daemon configuration: what the rest of the daemon trusts without re-checking.
import type { Limits } from '../contract/limits.js';
import type { AgentSpec } from '../contract/agent.js';
import type { SchedulingConfig } from '../contract/backend-config.js';
import type { BackendConfigs } from '../runtimes/backends.js';

/** The scheduler's part of every backend's settings. */
export type BackendConfig = SchedulingConfig;

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
  /** A connection that has not sent the HTTP/2 preface and SETTINGS (or finished TLS) by then is closed. */
  handshakeTimeoutMs: number;
  /** Open gRPC connections at once, and per peer address; more are closed on accept. */
  maxConnections: number;
  maxConnectionsPerPeer: number;
  /** Plaintext listener serving only grpc.health.v1 (for kubelet probes when TLS is on); null = none. */
  healthListen: string | null;
  /** How often each backend's availability is re-checked for the health services. */
  healthIntervalMs: number;
  /** agent_task_duration_seconds buckets (seconds); default the seed's 0.01 × 2ⁿ, ten buckets. */
  durationBuckets?: number[];
}

export interface TracingConfig {
  /** OTLP/HTTP endpoint; unset = OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, and none of them = tracing off. */
  endpoint?: string;
  serviceName?: string;
}

export interface StorageConfig {
  /** Directory of the outcome database; null = memory only. */
  path: string | null;
  retainCount: number;
  retainMs: number;
  /** PostgreSQL connection URL: daemons sharing one form a fleet; null = this daemon alone (path or memory). */
  url: string | null;
  /** This daemon's stable id in the fleet; null = derived from host and data directory. */
  daemonId: string | null;
  /** How long a running task's lease lasts without renewal before another replica records DAEMON_LOST. */
  leaseMs: number;
  /** Safety-net poll of the fleet queue besides LISTEN/NOTIFY wake-ups. */
  pollMs: number;
}

export interface Config {
  /** Absolute path of the file it came from, or "<embedded default>". */
  source: string;
  server: ServerConfig;
  limits: { default: Limits; max: Limits };
  /** [network] allow: the operator's egress ceiling (canonical entries); absent = no agent may have network. */
  network?: { allow: readonly string[] };
  backends: BackendConfigs;
  storage: StorageConfig;
  auth: AuthConfig;
  tracing: TracingConfig;
  agents: AgentSpec[];
}
