// Config file → validated Config, once; the embedded default hosts the example agents.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { RUNTIME_NAMES, type RuntimeName } from '../contract/agent.js';
import type { Limits } from '../contract/limits.js';
import { readAgent } from './agent-config.js';
import { bool, ConfigError, int, str, strList, table, type Table } from './config-reader.js';
import type { BackendConfig, Config } from './config-types.js';
import { BUILTIN_DEFAULT_LIMITS, BUILTIN_MAX_LIMITS, checkUnderCeiling, readLimits } from './limits-config.js';
import { parseBytes, parseDurationMs } from './units.js';

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../config/default.toml', import.meta.url));

const BACKEND_DEFAULTS: Record<RuntimeName, BackendConfig> = {
  wasm: { concurrency: 4, queue: 1000, workers: 2, uidStart: 0, uidCount: 0 },
  native: { concurrency: 4, queue: 1000, workers: 0, uidStart: 2_000_000, uidCount: 64 },
  docker: { concurrency: 4, queue: 500, workers: 0, uidStart: 0, uidCount: 0 },
};

function readBackends(value: unknown): Record<RuntimeName, BackendConfig> {
  const t = table(value, 'runtimes', RUNTIME_NAMES);
  const out = {} as Record<RuntimeName, BackendConfig>;
  for (const name of RUNTIME_NAMES) {
    const at = `runtimes.${name}`;
    const b = table(t[name], at, ['concurrency', 'queue', 'workers', 'uid_start', 'uid_count']);
    const d = BACKEND_DEFAULTS[name];
    out[name] = {
      concurrency: int(b, 'concurrency', at, d.concurrency, 1, 1024),
      queue: int(b, 'queue', at, d.queue, 0, 1_000_000),
      workers: int(b, 'workers', at, d.workers, 0, 256),
      uidStart: int(b, 'uid_start', at, d.uidStart, 1000, 2 ** 31),
      uidCount: int(b, 'uid_count', at, d.uidCount, 0, 65536),
    };
  }
  if (out.native.uidCount > 0 && out.native.uidCount < out.native.concurrency) {
    throw new ConfigError(`runtimes.native.uid_count (${out.native.uidCount}) must be at least runtimes.native.concurrency (${out.native.concurrency}): each running task needs its own uid`);
  }
  return out;
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
  const root = table(doc, source, ['server', 'limits', 'runtimes', 'storage', 'auth', 'agents']);
  const s = table(root.server, 'server', ['listen', 'metrics', 'socket_mode', 'shutdown_grace', 'max_request_bytes', 'max_input_bytes', 'max_list_page', 'keepalive', 'max_connection_age']);
  const lim = table(root.limits, 'limits', ['default', 'max']);
  const max: Limits = { ...BUILTIN_MAX_LIMITS, ...readLimits(lim.max, 'limits.max') };
  const defaults: Limits = { ...BUILTIN_DEFAULT_LIMITS, ...readLimits(lim.default, 'limits.default') };
  for (const k of Object.keys(defaults) as (keyof Limits)[]) defaults[k] = Math.min(defaults[k], max[k]);
  checkUnderCeiling(readLimits(lim.default, 'limits.default'), max, 'limits.default');
  const st = table(root.storage, 'storage', ['path', 'retain_count', 'retain']);
  const au = table(root.auth, 'auth', ['tokens', 'tls_cert', 'tls_key', 'client_ca', 'insecure']);
  const path = (v: unknown, at: string) => (v === undefined ? undefined : resolve(baseDir, str({ v }, 'v', at)));
  const agentsRaw = root.agents ?? [];
  if (!Array.isArray(agentsRaw)) throw new ConfigError('agents: expected [[agents]] tables');
  const agents = agentsRaw.map((a, i) => readAgent(a, i, baseDir, max));
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
    },
    limits: { default: defaults, max },
    backends: readBackends(root.runtimes),
    storage: {
      path: st.path === '' ? null : path(st.path, 'storage.path') ?? fallback.storagePath ?? null,
      retainCount: int(st, 'retain_count', 'storage', 100_000, 1),
      retainMs: timed(st, 'retain', 'storage', 7 * 86_400_000),
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
