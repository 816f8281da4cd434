// Small strict readers for TOML tables (config and each backend's own keys): every error names the key path and the bad value.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Table = Record<string, unknown>;

export function table(value: unknown, path: string, allowed: readonly string[]): Table {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${path}: expected a table`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`${path}: unknown key ${JSON.stringify(key)} (allowed: ${allowed.join(', ')})`);
    }
  }
  return value as Table;
}

export function str(t: Table, key: string, path: string, fallback?: string): string {
  const v = t[key];
  if (v === undefined) {
    if (fallback === undefined) throw new ConfigError(`${path}.${key}: required`);
    return fallback;
  }
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(`${path}.${key}: expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

export function optStr(t: Table, key: string, path: string): string | undefined {
  return t[key] === undefined ? undefined : str(t, key, path);
}

export function int(t: Table, key: string, path: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${path}.${key}: expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

export function bool(t: Table, key: string, path: string, fallback: boolean): boolean {
  const v = t[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`${path}.${key}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function strList(t: Table, key: string, path: string): string[] | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new ConfigError(`${path}.${key}: expected an array of strings, got ${JSON.stringify(v)}`);
  }
  return v as string[];
}

export function strMap(t: Table, key: string, path: string): Record<string, string> {
  const v = t[key];
  if (v === undefined) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new ConfigError(`${path}.${key}: expected a table of strings`);
  }
  return { ...(v as Record<string, string>) };
}

/** A path from config, absolute: relative ones are taken against the config file's directory. */
export function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/** The path when something exists there; else a ConfigError naming the key (`what`) and the path. */
export function existingFile(path: string, what: string): string {
  if (!existsSync(path)) throw new ConfigError(`${what}: file not found: ${path}`);
  return path;
}
