// Reads one [[agents]] entry: runtime-specific keys, paths resolved against the config file, manifest loaded.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { RUNTIME_NAMES, type AgentManifest, type AgentSpec, type RuntimeName } from '../contract/agent.js';
import type { Limits } from '../contract/limits.js';
import { ConfigError, int, optStr, str, strList, strMap, table } from './config-reader.js';
import { checkUnderCeiling, readLimits } from './limits-config.js';
import { readManifest } from './manifest.js';

const COMMON_KEYS = ['id', 'runtime', 'manifest', 'limits', 'env'] as const;
const RUNTIME_KEYS: Record<RuntimeName, readonly string[]> = {
  wasm: ['module'],
  native: ['command', 'binds', 'cwd', 'pool'],
  docker: ['image', 'command', 'pool', 'build'],
};
const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;

function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function existingFile(path: string, what: string): string {
  if (!existsSync(path)) throw new ConfigError(`${what}: file not found: ${path}`);
  return path;
}

function nativeCommand(cmd: string[] | undefined, baseDir: string, path: string): string[] {
  if (!cmd || cmd.length === 0) throw new ConfigError(`${path}.command: required for runtime "native" (an argv array)`);
  const [bin, ...args] = cmd;
  if (!isAbsolute(bin) && !bin.startsWith('./') && !bin.startsWith('../')) {
    throw new ConfigError(`${path}.command[0]: ${JSON.stringify(bin)} must be an absolute path (or ./… relative to the config file); PATH is not searched`);
  }
  const abs = resolvePath(baseDir, bin);
  if (!existsSync(abs)) throw new ConfigError(`${path}.command[0]: binary not found: ${abs}`);
  if (!statSync(abs).isFile()) throw new ConfigError(`${path}.command[0]: not a regular file: ${abs}`);
  try {
    accessSync(abs, constants.X_OK);
  } catch {
    throw new ConfigError(`${path}.command[0]: not executable: ${abs}`);
  }
  return [abs, ...args];
}

export function readAgent(value: unknown, index: number, baseDir: string, max: Limits): AgentSpec {
  const at = `agents[${index}]`;
  // Read id and runtime first, so later errors can name the agent.
  const loose = table(value, at, Object.keys((value ?? {}) as object));
  const id = str(loose, 'id', at);
  if (!ID_PATTERN.test(id)) throw new ConfigError(`${at}.id: ${JSON.stringify(id)} must match ${ID_PATTERN}`);
  const path = `agents[${index}] (${id})`;
  const runtime = str(loose, 'runtime', path) as RuntimeName;
  if (!RUNTIME_NAMES.includes(runtime)) {
    throw new ConfigError(`${path}.runtime: unknown runtime ${JSON.stringify(runtime)} (known: ${RUNTIME_NAMES.join(', ')})`);
  }
  const t = table(value, path, [...COMMON_KEYS, ...RUNTIME_KEYS[runtime]]);
  const manifestPath = existingFile(resolvePath(baseDir, str(t, 'manifest', path)), `${path}.manifest`);
  let manifest: AgentManifest;
  try {
    manifest = readManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  } catch (e) {
    if (e instanceof SyntaxError) throw new ConfigError(`${path}.manifest: ${manifestPath} is not valid JSON: ${e.message}`);
    throw e;
  }
  const limits = readLimits(t.limits, `${path}.limits`);
  checkUnderCeiling(limits, max, `${path}.limits`);
  const base = { id, manifest, limits, env: strMap(t, 'env', path), baseDir };
  const file = (key: string) => existingFile(resolvePath(baseDir, str(t, key, path)), `${path}.${key}`);
  switch (runtime) {
    case 'wasm':
      return { ...base, runtime, module: file('module') };
    case 'native': {
      const cwd = optStr(t, 'cwd', path);
      return {
        ...base, runtime,
        command: nativeCommand(strList(t, 'command', path), baseDir, path),
        binds: (strList(t, 'binds', path) ?? []).map((b, i) => existingFile(resolvePath(baseDir, b), `${path}.binds[${i}]`)),
        ...(cwd !== undefined ? { cwd: resolvePath(baseDir, cwd) } : {}),
        pool: int(t, 'pool', path, 0, 0, 64),
      };
    }
    case 'docker': {
      const cmd = strList(t, 'command', path);
      const build = optStr(t, 'build', path);
      return {
        ...base, runtime, image: str(t, 'image', path), pool: int(t, 'pool', path, 0, 0, 64),
        ...(cmd ? { command: cmd } : {}),
        ...(build !== undefined ? { build: existingFile(resolvePath(baseDir, build), `${path}.build`) } : {}),
      };
    }
  }
}
