// Config file → validated Config, once; the embedded default hosts the example agents.
import { readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import type { SettingsContext } from '../runtimes/backend.js';
import { backendNamed, RUNTIME_NAMES, type BackendConfigs } from '../runtimes/backends.js';
import { readAgent } from './agent-config.js';
import { bool, ConfigError, int, optStr, str, strList, table, type Table } from './config-reader.js';
import { buckets, includedAgents } from './config-include.js';
import type { Config } from './config-types.js';
import { SCHEDULING_KEYS } from './config-schema.js';
import type { SchedulingConfig } from '../contract/backend-config.js';
import { readLimitsSection } from './limits-config.js';
import { readNetworkCeiling } from './network-config.js';
import { entryText } from '../egress/policy.js';
import { parseBytes, parseDurationMs } from './units.js';

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../config/default.toml', import.meta.url));

function scheduling(b: Table, at: string, d: SchedulingConfig): SchedulingConfig {
  return { concurrency: int(b, 'concurrency', at, d.concurrency, 1, 1024), queue: int(b, 'queue', at, d.queue, 0, 1_000_000) };
}

/** [runtimes.*]: one table per registered backend, each with the scheduling keys plus its own (and only its own). */
function readBackends(value: unknown, ctx: SettingsContext): BackendConfigs {
  const t = table(value, 'runtimes', RUNTIME_NAMES);
  const out: Record<string, SchedulingConfig> = {};
  for (const name of RUNTIME_NAMES) {
    const d = backendNamed(name);
    const at = `runtimes.${name}`;
    const b = table(t[name], at, [...SCHEDULING_KEYS, ...Object.keys(d.settingsSchema)]);
    out[name] = d.readSettings(b, at, scheduling(b, at, d.scheduling), ctx);
  }
  return out as unknown as BackendConfigs;
}

function sized(t: Table, key: string, at: string, fallback: number): number {
  return t[key] === undefined ? fallback : parseBytes(t[key], `${at}.${key}`);
}
function timed(t: Table, key: string, at: string, fallback: number): number {
  return t[key] === undefined ? fallback : parseDurationMs(t[key], `${at}.${key}`);
}

/** `ari serve`'s data directory when [storage] path is unset: $XDG_STATE_HOME/ari, else ~/.local/state/ari. */
export function defaultDataDir(): string {
  const xdg = process.env.XDG_STATE_HOME;
  return xdg ? join(xdg, 'ari') : join(homedir(), '.local', 'state', 'ari');
}

/** `fallback.storagePath` applies when the file sets no [storage] path (path = "" keeps outcomes in memory only). */
export function parseConfig(text: string, source: string, baseDir: string, fallback: { storagePath?: string } = {}): Config {
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (e) {
    throw new ConfigError(`${source}: invalid TOML: ${(e as Error).message}`);
  }
  const root = table(doc, source, ['include', 'server', 'limits', 'network', 'runtimes', 'storage', 'auth', 'tracing', 'agents']);
  const s = table(root.server, 'server', ['listen', 'metrics', 'socket_mode', 'shutdown_grace', 'max_request_bytes', 'max_input_bytes', 'max_list_page', 'keepalive', 'max_connection_age', 'handshake_timeout', 'max_connections', 'max_connections_per_peer', 'health_listen', 'health_interval', 'duration_buckets']);
  const tr = table(root.tracing, 'tracing', ['endpoint', 'service_name']);
  const limits = readLimitsSection(root.limits);
  const { max } = limits;
  const st = table(root.storage, 'storage', ['path', 'retain_count', 'retain', 'url', 'daemon_id', 'lease', 'poll']);
  const au = table(root.auth, 'auth', ['tokens', 'tls_cert', 'tls_key', 'client_ca', 'insecure']);
  const path = (v: unknown, at: string) => (v === undefined ? undefined : resolve(baseDir, str({ v }, 'v', at)));
  const network = readNetworkCeiling(root.network);
  const agentsRaw = root.agents ?? [];
  if (!Array.isArray(agentsRaw)) throw new ConfigError('agents: expected [[agents]] tables');
  const agents = [
    ...agentsRaw.map((a, i) => readAgent(a, i, baseDir, max, network)),
    ...includedAgents(strList(root, 'include', source) ?? [], baseDir, max, agentsRaw.length, network),
  ];
  const ids = new Set<string>();
  for (const a of agents) {
    if (ids.has(a.id)) throw new ConfigError(`agents: id ${JSON.stringify(a.id)} is used twice`);
    ids.add(a.id);
  }
  const metrics = s.metrics === undefined ? '127.0.0.1:9464' : s.metrics === '' || s.metrics === false ? null : str(s, 'metrics', 'server');
  return {
    source,
    server: {
      listen: str(s, 'listen', 'server', '127.0.0.1:9090'),
      metrics,
      socketMode: int(s, 'socket_mode', 'server', 0o660, 0, 0o777),
      shutdownGraceMs: timed(s, 'shutdown_grace', 'server', 10_000),
      maxRequestBytes: sized(s, 'max_request_bytes', 'server', 4 * 1024 ** 2),
      maxInputBytes: sized(s, 'max_input_bytes', 'server', 1024 ** 2),
      maxListPage: int(s, 'max_list_page', 'server', 100, 1, 10_000),
      keepaliveMs: timed(s, 'keepalive', 'server', 30_000),
      maxConnectionAgeMs: timed(s, 'max_connection_age', 'server', 3_600_000),
      handshakeTimeoutMs: timed(s, 'handshake_timeout', 'server', 5_000),
      maxConnections: int(s, 'max_connections', 'server', 4096, 1, 1_000_000),
      maxConnectionsPerPeer: int(s, 'max_connections_per_peer', 'server', 1024, 1, 1_000_000),
      healthListen: s.health_listen === undefined || s.health_listen === '' ? null : str(s, 'health_listen', 'server'),
      healthIntervalMs: timed(s, 'health_interval', 'server', 5_000),
      ...(s.duration_buckets !== undefined ? { durationBuckets: buckets(s.duration_buckets) } : {}),
    },
    tracing: { endpoint: optStr(tr, 'endpoint', 'tracing'), serviceName: optStr(tr, 'service_name', 'tracing') },
    limits,
    ...(network ? { network: { allow: network.map(entryText) } } : {}),
    backends: readBackends(root.runtimes, st.url ? { fleetSeed: `${hostname()}:${st.daemon_id ?? st.path ?? source}` } : {}),
    storage: {
      path: st.path === '' ? null : path(st.path, 'storage.path') ?? fallback.storagePath ?? null,
      retainCount: int(st, 'retain_count', 'storage', 100_000, 1),
      retainMs: timed(st, 'retain', 'storage', 7 * 86_400_000),
      url: optStr(st, 'url', 'storage') || null,
      daemonId: optStr(st, 'daemon_id', 'storage') || process.env.ARI_DAEMON_ID || null,
      leaseMs: timed(st, 'lease', 'storage', 10_000),
      pollMs: timed(st, 'poll', 'storage', 2_000),
    },
    auth: {
      tokens: strList(au, 'tokens', 'auth') ?? [],
      tlsCert: path(au.tls_cert, 'auth.tls_cert'),
      tlsKey: path(au.tls_key, 'auth.tls_key'),
      clientCa: path(au.client_ca, 'auth.client_ca'),
      insecure: bool(au, 'insecure', 'auth', false),
    },
    agents,
  };
}

/** Loads a config file, or the embedded default when no path is given. */
export function loadConfig(file?: string): Config {
  const path = resolve(file ?? DEFAULT_CONFIG_PATH);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  return parseConfig(text, file ? path : `${path} (embedded default)`, dirname(path), { storagePath: defaultDataDir() });
}
