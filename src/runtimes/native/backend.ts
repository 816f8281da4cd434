// The native backend as the registry knows it: config keys, readers, schema, kill bound; execa loads only in create.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { SchedulingConfig } from '../../contract/backend-config.js';
import { ConfigError, existingFile, int, optStr, resolvePath, strList } from '../../contract/settings-reader.js';
import type { BackendDescriptor } from '../backend.js';
import type { NativeAgentSpec } from './agent-spec.js';
import { NATIVE_ENFORCES } from './enforcement.js';

export interface NativeBackendConfig extends SchedulingConfig {
  /** First sandbox uid and how many (one per concurrent task). */
  uidStart: number;
  uidCount: number;
}

const UID_BASE = 2_000_000;
const strings = { type: 'array', items: { type: 'string' } };

/** In a fleet each daemon needs its own uids: an unset uid_start derives from the replica's identity, not one constant. */
function fleetUidStart(seed: string): number {
  return UID_BASE + (createHash('sha256').update(seed).digest().readUInt32BE(0) % 8192) * 65_536;
}

function command(cmd: string[] | undefined, baseDir: string, at: string): string[] {
  if (!cmd || cmd.length === 0) throw new ConfigError(`${at}.command: required for runtime "native" (an argv array)`);
  const [bin, ...args] = cmd;
  if (!isAbsolute(bin) && !bin.startsWith('./') && !bin.startsWith('../')) {
    throw new ConfigError(`${at}.command[0]: ${JSON.stringify(bin)} must be an absolute path (or ./… relative to the config file); PATH is not searched`);
  }
  const abs = resolvePath(baseDir, bin);
  if (!existsSync(abs)) throw new ConfigError(`${at}.command[0]: binary not found: ${abs}`);
  if (!statSync(abs).isFile()) throw new ConfigError(`${at}.command[0]: not a regular file: ${abs}`);
  try {
    accessSync(abs, constants.X_OK);
  } catch {
    throw new ConfigError(`${at}.command[0]: not executable: ${abs}`);
  }
  return [abs, ...args];
}

export const nativeBackend: BackendDescriptor<'native', NativeBackendConfig, NativeAgentSpec> = {
  name: 'native',
  scheduling: { concurrency: 4, queue: 1000 },
  settingsSchema: {
    uid_start: { type: 'integer', minimum: 1000, description: 'first sandbox uid (in a fleet: derived per replica when unset)' },
    uid_count: { type: 'integer', minimum: 0, description: 'sandbox uids (at least concurrency)' },
  },
  agentSchema: {
    command: { ...strings, description: 'argv; argv[0] absolute or ./ relative to the config file' },
    binds: { ...strings, description: 'host paths bound read-only into the sandbox' },
    cwd: { type: 'string', description: 'native working directory' },
    pool: { type: 'integer', minimum: 0, maximum: 64, description: 'pre-started sandboxes' },
  },
  readSettings(t, at, scheduling, ctx) {
    const uidStart = t.uid_start === undefined && ctx.fleetSeed !== undefined ? fleetUidStart(ctx.fleetSeed) : int(t, 'uid_start', at, UID_BASE, 1000, 2 ** 31);
    const out = { ...scheduling, uidStart, uidCount: int(t, 'uid_count', at, 64, 0, 65536) };
    if (out.uidCount > 0 && out.uidCount < out.concurrency) {
      throw new ConfigError(`${at}.uid_count (${out.uidCount}) must be at least ${at}.concurrency (${out.concurrency}): each running task needs its own uid`);
    }
    return out;
  },
  readAgent({ table: t, at, baseDir, base }) {
    const cwd = optStr(t, 'cwd', at);
    return {
      ...base, runtime: 'native',
      command: command(strList(t, 'command', at), baseDir, at),
      binds: (strList(t, 'binds', at) ?? []).map((b, i) => existingFile(resolvePath(baseDir, b), `${at}.binds[${i}]`)),
      ...(cwd !== undefined ? { cwd: resolvePath(baseDir, cwd) } : {}),
      pool: int(t, 'pool', at, 0, 0, 64),
    };
  },
  runs: (a) => a.command.join(' '),
  enforces: NATIVE_ENFORCES,
  killBoundMs: 100,
  async create(settings, ctx) {
    const { NativeRuntime } = await import('./native-runtime.js');
    return new NativeRuntime({ logger: ctx.logger, uidRange: [settings.uidStart, settings.uidCount], agentLimits: ctx.agentLimits });
  },
};
