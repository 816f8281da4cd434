// What a backend's folder gives the registry: its config keys and readers, schema fragments, kill bound and factory.
import type { Logger } from 'pino';
import type { AgentSpec } from '../contract/agent.js';
import type { SchedulingConfig } from '../contract/backend-config.js';
import { LIMIT_TABLE, type LimitRow, type Limits } from '../contract/limits.js';
import type { Table } from '../contract/settings-reader.js';
import type { LimitEnforcement, Runtime } from './runtime.js';

/** A JSON Schema fragment (the config's schema is assembled from these; key lists are their property names). */
export type Schema = Record<string, unknown>;

/** What every backend's factory gets besides its own settings. */
export interface RuntimeContext {
  logger: Logger;
  /** Unique per daemon run; labels Docker containers and names cgroup subtrees. */
  daemonId: string;
  /** The operator ceiling ([limits.max]); wasm clamps every module's memory maximum to it at load. */
  ceiling: Limits;
  /** An agent's resolved default limits (pools are pre-started with them). */
  agentLimits: (agent: AgentSpec) => Limits;
}

/** What a settings reader may need beyond its table. */
export interface SettingsContext {
  /** Set when the daemon is in a fleet: a seed unique to this replica (settings that must differ per replica). */
  fleetSeed?: string;
}

/** One [[agents]] entry of this backend, with the common fields already read and validated. */
export interface AgentInput {
  /** The entry's table (only this backend's keys and the common ones are present). */
  table: Table;
  /** How errors name the entry, e.g. `agents[2] (math)`. */
  at: string;
  /** The config file's directory: relative paths are resolved against it. */
  baseDir: string;
  /** The common fields (id, manifest, limits, env, baseDir), for the reader to extend. */
  base: Omit<AgentSpec, 'runtime'>;
}

/**
 * A backend as the registry knows it. Everything backend-specific outside its Runtime class is here, so a new
 * backend is its folder plus one line in src/runtimes/backends.ts. Keep descriptors light: `create` imports the
 * runtime class lazily, so parsing config (`ari config check`) never loads dockerode, execa or the wasm host.
 */
export interface BackendDescriptor<N extends string = string, S extends SchedulingConfig = SchedulingConfig, A extends AgentSpec = AgentSpec> {
  readonly name: N;
  /** Queue sizing when [runtimes.<name>] sets none. */
  readonly scheduling: SchedulingConfig;
  /** Its own keys of [runtimes.<name>] (besides concurrency and queue), as schema properties. */
  readonly settingsSchema: Readonly<Record<string, Schema>>;
  /** Its own keys of an [[agents]] entry (besides the common ones), as schema properties. */
  readonly agentSchema: Readonly<Record<string, Schema>>;
  /** Validates [runtimes.<name>] (only its own keys are present) on top of the scheduling part. */
  readSettings(t: Table, at: string, scheduling: SchedulingConfig, ctx: SettingsContext): S;
  /** Validates one agent entry into this backend's spec. Throws ConfigError naming the key. */
  readAgent(input: AgentInput): A;
  /** What `ari config check` prints in its RUNS column. */
  runs(agent: A): string;
  /**
   * The most this backend enforces on any host (a null = never): an agent limit it can never enforce is a config
   * error. What a started runtime enforces on this host (`Runtime.enforces`) may be less; the daemon checks that too.
   */
  readonly enforces: LimitEnforcement;
  /** `ari conformance`'s default pass bound for kill overshoot on this backend (--kill-bound-ms overrides it). */
  readonly killBoundMs: number;
  /** Builds the runtime (not started) from its own validated settings. */
  create(settings: S, ctx: RuntimeContext): Promise<Runtime<A>>;
}

/** The limit rows set in `limits` that `enforces` has no mechanism for. */
export function unenforcedLimits(limits: Partial<Limits>, enforces: LimitEnforcement): LimitRow[] {
  return LIMIT_TABLE.filter((r) => limits[r.key] !== undefined && enforces[r.key] === null);
}

/**
 * Why an agent whose own limits set what its backend cannot enforce is refused (config and daemon start say the
 * same; each caller names the agent in front of it).
 */
export function unenforcedLimitsMessage(backend: string, rows: readonly LimitRow[], where = ''): string {
  const names = rows.map((r) => r.wire).join(', ');
  const it = rows.length > 1 ? 'them' : 'it';
  return `${names} cannot be enforced by the ${backend} backend${where} (remove ${it}, or run the agent on a backend that enforces ${it}; \`ari health\` lists each backend's mechanisms)`;
}
