// The hostile core-module fixtures misbehave exactly as fixtures/agents/wasm-hostile/README.md says.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { parseAgentOutput } from '../../src/contract/agent-output.js';
import { FIXTURES, importsOf, load, runSeed, runWasi } from './core-hosts.js';

const TASK = JSON.stringify({ task_id: 'h', capability: 'run', input: {} });

/** Starts execute_task of a seed module in a worker; resolves 'running' if it has not ended after `ms`. */
function stillRunningAfter(file: string, ms: number): Promise<'running' | string> {
  const code = `
    const { readFileSync } = require('node:fs'); const { parentPort } = require('node:worker_threads');
    const i = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(${JSON.stringify(FIXTURES + file)})), { env: {} });
    parentPort.postMessage('started'); i.exports.execute_task(i.exports.alloc(2), 2); parentPort.postMessage('returned');`;
  const worker = new Worker(code, { eval: true });
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    worker.on('message', (m) => {
      if (m === 'started') timer = setTimeout(() => resolve('running'), ms);
      else { clearTimeout(timer); resolve(String(m)); }
    });
    worker.on('error', reject);
  }).finally(() => worker.terminate()) as Promise<'running' | string>;
}

describe('hostile seed-ABI modules', () => {
  it('import nothing but env.log, except bad-import (env.system)', () => {
    for (const f of ['loop', 'recursion', 'grow-bomb', 'flood', 'trap', 'bad-result', 'bad-length']) expect(importsOf(load(`wasm-hostile/${f}.wasm`))).toEqual([]);
    expect(importsOf(load('wasm-hostile/log-flood.wasm'))).toEqual(['env.log']);
    expect(importsOf(load('wasm-hostile/bad-import.wasm'))).toEqual(['env.system']);
    expect(() => runSeed(load('wasm-hostile/bad-import.wasm'), TASK)).toThrow(WebAssembly.LinkError);
  });

  it('loop never returns (a worker is still inside it after 500 ms, then terminated)', async () => {
    expect(await stillRunningAfter('wasm-hostile/loop.wasm', 500)).toBe('running');
  });

  it('recursion overflows the stack', () => {
    expect(() => runSeed(load('wasm-hostile/recursion.wasm'), TASK)).toThrow(/call stack/i);
  });

  it('trap hits unreachable', () => {
    expect(() => runSeed(load('wasm-hostile/trap.wasm'), TASK)).toThrow(WebAssembly.RuntimeError);
  });

  it('grow-bomb grows until memory.grow fails, then traps', () => {
    let err: unknown;
    try { runSeed(load('wasm-hostile/grow-bomb.wasm'), TASK); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(String(err)).toMatch(/unreachable/);
  });

  it('flood returns a valid 64 MiB document', () => {
    const r = runSeed(load('wasm-hostile/flood.wasm'), TASK);
    expect(r.len).toBe(64 * 1024 * 1024);
    expect(r.text.slice(0, 14)).toBe('{"output":"xxx');
    expect(r.text.endsWith('xx"}')).toBe(true);
    expect(parseAgentOutput(r.text).status).toBe('COMPLETED');
  });

  it('log-flood logs 256 MiB through env.log, then returns a valid document', () => {
    const r = runSeed(load('wasm-hostile/log-flood.wasm'), TASK, false);
    expect(r.logBytes).toBe(256 * 1024 * 1024);
    expect(JSON.parse(r.text)).toEqual({ output: {} });
  });

  it('bad-result returns bytes that are not JSON, bad-length a length past the end of memory', () => {
    expect(parseAgentOutput(runSeed(load('wasm-hostile/bad-result.wasm'), TASK).text).error?.code).toBe('BAD_OUTPUT');
    const r = runSeed(load('wasm-hostile/bad-length.wasm'), TASK);
    expect(r.len).toBe(0x7ffffff0);
    expect(r.len).toBeGreaterThan(r.memoryBytes);
  });

  it('wasi-open finds no preopened directory, file or socket (EBADF) under a host without preopens', () => {
    const mod = load('wasm-hostile/wasi-open.wasm');
    expect(importsOf(mod)).toEqual(['fd_prestat_get', 'fd_write', 'path_open', 'sock_accept'].map((n) => `wasi_snapshot_preview1.${n}`));
    const r = runWasi(mod, TASK);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ output: { prestat_errno: 8, open_errno: 8, sock_errno: 8 } });
  });
});
