// Minimal hosts for the core-module fixtures: the seed ABI (env.log, env.time) and node:wasi preview1.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';

export const FIXTURES = new URL('../../fixtures/agents/', import.meta.url).pathname;

export function load(rel: string): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(join(FIXTURES, rel)));
}

export interface SeedRun { len: number; text: string; logs: string[]; logBytes: number; memoryBytes: number }

/** Instantiates a seed-ABI module with env.log/env.time, passes `doc`, and reads the result back. */
export function runSeed(mod: WebAssembly.Module, doc: string, keepLogs = true): SeedRun {
  const logs: string[] = [];
  let logBytes = 0;
  let memory: WebAssembly.Memory | undefined;
  const env = {
    log(ptr: number, len: number) {
      logBytes += len;
      if (keepLogs) logs.push(Buffer.from(memory!.buffer, ptr, len).toString('utf8'));
    },
    time: () => BigInt(Date.now()) * 1_000_000n,
  };
  const instance = new WebAssembly.Instance(mod, { env });
  const ex = instance.exports as { memory: WebAssembly.Memory; alloc(n: number): number; execute_task(p: number, n: number): number };
  memory = ex.memory;
  const bytes = Buffer.from(doc);
  const ptr = ex.alloc(bytes.length);
  Buffer.from(memory.buffer, ptr, bytes.length).set(bytes);
  const res = ex.execute_task(ptr, bytes.length) >>> 0;
  const view = new DataView(memory.buffer);
  const len = view.getUint32(res, true);
  const inBounds = res + 4 + len <= memory.buffer.byteLength;
  const text = inBounds ? Buffer.from(memory.buffer, res + 4, len).toString('utf8') : '';
  return { len, text, logs, logBytes, memoryBytes: memory.buffer.byteLength };
}

export interface WasiRun { exitCode: number; stdout: string }

/** Runs a WASI preview1 command with `stdin` and no preopens, no env, no args but its name. */
export function runWasi(mod: WebAssembly.Module, stdin: string): WasiRun {
  const dir = mkdtempSync(join(tmpdir(), 'ari-wasi-'));
  writeFileSync(join(dir, 'in'), stdin);
  const inFd = openSync(join(dir, 'in'), 'r');
  const outFd = openSync(join(dir, 'out'), 'w');
  try {
    const wasi = new WASI({ version: 'preview1', args: ['agent'], env: {}, preopens: {}, stdin: inFd, stdout: outFd, returnOnExit: true });
    const instance = new WebAssembly.Instance(mod, wasi.getImportObject() as WebAssembly.Imports);
    const exitCode = wasi.start(instance);
    return { exitCode, stdout: readFileSync(join(dir, 'out'), 'utf8') };
  } finally {
    closeSync(inFd);
    closeSync(outFd);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function importsOf(mod: WebAssembly.Module): string[] {
  return WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`).sort();
}

export function exportsOf(mod: WebAssembly.Module): string[] {
  return WebAssembly.Module.exports(mod).map((e) => e.name).sort();
}
