// Transpiles a component with jco once per distinct binary: cached in memory, and on disk under a private tmp dir.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { transpileBytes } from '@bytecodealliance/jco-transpile';

/** What a component becomes: jco's JS glue (an ES module exporting `instantiate`) and its raw core modules. */
export interface TranspiledComponent {
  glue: string;
  cores: Record<string, Uint8Array<ArrayBuffer>>;
  /** Interfaces the component imports, unversioned (e.g. `wasi:cli/stdout`). */
  imports: string[];
  exports: [string, 'function' | 'instance'][];
}

/** Part of the cache key: another jco version may produce other glue. */
const JCO_VERSION = jcoVersion();
/** Async instantiation routes every core module through our getCoreModule/instantiateCore. */
const OPTIONS = Object.freeze({ name: 'agent', instantiation: 'async' as const });
const memory = new Map<string, Promise<TranspiledComponent>>();
let transpiles = 0;

function jcoVersion(): string {
  try {
    const entry = createRequire(import.meta.url).resolve('@bytecodealliance/jco-transpile');
    return (JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Real jco transpilations run in this process so far (cache hits do not count). */
export function transpileCount(): number {
  return transpiles;
}

/** Default on-disk cache: os.tmpdir()/ari-jco-cache-<uid>; ARI_JCO_CACHE overrides it, ARI_JCO_CACHE=off disables it. */
export function defaultCacheDir(): string | null {
  const env = process.env.ARI_JCO_CACHE;
  if (env === 'off') return null;
  return env || join(tmpdir(), `ari-jco-cache-${process.getuid?.() ?? 'user'}`);
}

/** Transpiles `bytes` (or returns the cached result); concurrent callers for one binary share one transpilation. */
export function transpileComponent(bytes: Uint8Array, cacheDir = defaultCacheDir()): Promise<TranspiledComponent> {
  const key = createHash('sha256').update(`jco-transpile ${JCO_VERSION} ${JSON.stringify(OPTIONS)}\n`).update(bytes).digest('hex');
  let entry = memory.get(key);
  if (!entry) {
    entry = fromDiskOrTranspile(bytes, key, cacheDir);
    memory.set(key, entry);
    entry.catch(() => memory.delete(key));
  }
  return entry;
}

async function fromDiskOrTranspile(bytes: Uint8Array, key: string, cacheDir: string | null): Promise<TranspiledComponent> {
  const dir = cacheDir && privateDir(cacheDir);
  const file = dir ? join(dir, `${key}.json`) : null;
  if (file) {
    const cached = await readCached(file);
    if (cached) return cached;
  }
  transpiles++;
  // A fresh copy: jco writes into the options it is given, and OPTIONS is also part of the cache key.
  const { files, imports, exports } = await transpileBytes(bytes, { ...OPTIONS });
  const cores: Record<string, Uint8Array<ArrayBuffer>> = {};
  for (const [name, data] of Object.entries(files)) if (name.endsWith('.wasm')) cores[name] = new Uint8Array(data);
  const glue = files['agent.js'];
  if (!glue) throw new Error('jco produced no agent.js');
  const result: TranspiledComponent = { glue: Buffer.from(glue).toString('utf8'), cores, imports, exports };
  if (file) await writeCached(file, result).catch(() => undefined);
  return result;
}

/**
 * The cache dir is used only if it is a real directory owned by us and closed to others: the glue read from it
 * is executed, so a dir another user could write into (or a symlink planted in /tmp) must never be trusted.
 */
function privateDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) return null;
    return dir;
  } catch {
    return null;
  }
}

async function readCached(file: string): Promise<TranspiledComponent | null> {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || (st.mode & 0o022) !== 0) return null;
    const raw = JSON.parse(await readFile(file, 'utf8')) as { glue: string; cores: Record<string, string>; imports: string[]; exports: TranspiledComponent['exports'] };
    const cores = Object.fromEntries(Object.entries(raw.cores).map(([n, b64]) => [n, new Uint8Array(Buffer.from(b64, 'base64'))]));
    if (typeof raw.glue !== 'string' || !Array.isArray(raw.imports) || !Array.isArray(raw.exports)) return null;
    return { glue: raw.glue, cores, imports: raw.imports, exports: raw.exports };
  } catch {
    return null;
  }
}

async function writeCached(file: string, t: TranspiledComponent): Promise<void> {
  const cores = Object.fromEntries(Object.entries(t.cores).map(([n, b]) => [n, Buffer.from(b).toString('base64')]));
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, JSON.stringify({ glue: t.glue, cores, imports: t.imports, exports: t.exports }), { mode: 0o600, flag: 'wx' });
  await rename(tmp, file);
}
