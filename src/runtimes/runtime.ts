// The Runtime interface every backend implements (wasm, docker, native), and what it is handed.
import type { ExecutionResult } from '../contract/outcome.js';
import type { AgentSpec, ExecutionTask, RuntimeName } from '../contract/agent.js';
import type { LimitKey } from '../contract/limits.js';
import type { EgressEndpoint, SessionListen } from '../egress/egress-proxy.js';

/**
 * Per limit, the mechanism that enforces it on a backend (shown by `ari health`), or null: not enforced there.
 * A request that sets a null limit is refused at admission; a default for it is simply not applied.
 */
export type LimitEnforcement = Readonly<Record<LimitKey, string | null>>;

export interface ExecutionHooks {
  /** A line the agent logged (stderr / env.log); capped by the runtime. */
  onLog?: (line: string) => void;
  /**
   * Present only when the task may use the network (its agent has a network policy). The backend opens the task's
   * proxy endpoint where its sandbox can reach it — and nothing else — and gives the sandbox proxyEnv(endpoint).
   * The task service closes the session after execute() returns (usage, log); a crossed budget aborts `signal`
   * with a LimitAbort, which the backend reports through classify() as its kill reason (killReasonOf).
   */
  egress?: EgressGrant;
}

export interface EgressGrant {
  /** Opens the task's one proxy endpoint (at most once per task). */
  open(where?: SessionListen): Promise<EgressEndpoint>;
}

export interface BackendHealth {
  runtime: RuntimeName;
  available: boolean;
  /** Why it is unavailable (or degraded), naming what to install or fix. */
  reason: string;
  /** What the backend could enable, e.g. { cgroup: 'v1', memory: 'yes', seccomp: 'yes' }. */
  features: Record<string, string>;
}

/** Raised by prepare() when an agent cannot be loaded; the message names the bad value. */
export class AgentLoadError extends Error {
  constructor(readonly agentId: string, message: string) {
    super(`agent ${JSON.stringify(agentId)}: ${message}`);
    this.name = 'AgentLoadError';
  }
}

/** A backend; `A` is the agent spec of its own runtime (the daemon hands each backend only its own agents). */
export interface Runtime<A extends AgentSpec = AgentSpec> {
  readonly name: RuntimeName;
  /** What enforces each limit here; a new limit row fails to compile until every backend declares it. */
  readonly enforces: LimitEnforcement;
  /** Checks the host once; never throws — an unavailable backend reports why in health(). */
  start(): Promise<void>;
  /** Validates and prepares one agent (compile, build image, check binary). Throws AgentLoadError. */
  prepare(agent: A): Promise<void>;
  /**
   * Runs one task in a fresh sandbox. Never throws for anything the agent does: every ending is an
   * ExecutionResult. When `signal` aborts, the sandbox is killed and CANCELLED is returned.
   * The runtime enforces limits.timeoutMs itself (TIMEOUT).
   */
  execute(agent: A, task: ExecutionTask, signal: AbortSignal, hooks?: ExecutionHooks): Promise<ExecutionResult>;
  health(): Promise<BackendHealth>;
  /** Stops pools and workers, removes what the backend created. Idempotent. */
  close(): Promise<void>;
}
