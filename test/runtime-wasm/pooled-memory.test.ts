// Pooled linear memories (issue 12): a memory is reused between tasks, but no task can read what the previous one
// left in it — checked in-process on the task runner (where the reuse itself is visible) and end to end on workers.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ARI, instrumentModule } from '../../src/sandbox/wasm/instrument.js';
import { WasmRuntime } from '../../src/runtimes/wasm/host/wasm-runtime.js';
import { memoryPoolStats, releaseMemory, takeMemory } from '../../src/runtimes/wasm/worker/memory-pool.js';
import { runTask } from '../../src/runtimes/wasm/worker/task-runner.js';
import type { RunRequest } from '../../src/runtimes/wasm/shared/worker-protocol.js';
import { agentFor, LIMITS, seedModule, taskFor, watFile } from './wat.js';

const SECRET_FROM = 8192;
/** Fills [8192, 64 KiB) of its memory with a secret byte; answers 1. */
const WRITER = seedModule(`(memory.fill (i32.const ${SECRET_FROM}) (i32.const 0xab) (i32.const ${65536 - SECRET_FROM}))`, '{"output":1}');
/** Answers 1 if any byte of [8192, 64 KiB) is not zero (what a previous task wrote there), else 0. */
const READER = seedModule(`(local.set $p (i32.const ${SECRET_FROM}))
  (block $done (loop $scan
    (br_if $done (i32.ge_u (local.get $p) (i32.const 65536)))
    (if (i32.load8_u (local.get $p)) (then (i32.store8 (i32.const 14) (i32.const 49)) (br $done)))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (br $scan)))`, '{"output":0}');
/** Grows its memory by a page: a grown memory must never go back to the pool. */
const GROWER = seedModule('(drop (memory.grow (i32.const 1)))', '{"output":1}');

const MAX_MEMORY = 64 * 1024 * 1024;

async function instrumented(name: string, wat: string): Promise<{ module: WebAssembly.Module; memory: { initial: number; maximum: number } }> {
  const bytes = readFileSync(await watFile(name, wat));
  const out = instrumentModule(bytes, { maxMemoryBytes: MAX_MEMORY, allowImport: () => true, importMemory: true });
  expect(out.importedMemory).toEqual({ initial: 1, maximum: MAX_MEMORY / 65536 });
  const module = await WebAssembly.compile(out.bytes);
  expect(WebAssembly.Module.imports(module)).toContainEqual({ module: ARI.importModule, name: ARI.memoryImport, kind: 'memory' });
  return { module, memory: out.importedMemory! };
}

function request(memory: RunRequest['memory']): RunRequest {
  return { type: 'run', jobId: 1, moduleKey: 'k', abi: 'seed', footprintBytes: 0, agentId: 'a', env: {}, document: '{}', limits: LIMITS, deadline: Date.now() + LIMITS.timeoutMs, memory };
}
const control = { cancel: new Int32Array(new SharedArrayBuffer(4)) };

describe('the memory pool', () => {
  it('hands back a released memory zeroed, and drops one that grew', () => {
    const shape = { initial: 1, maximum: 4 };
    const a = takeMemory(shape);
    new Uint8Array(a.buffer).fill(0xab);
    releaseMemory(shape, a);
    const b = takeMemory(shape);
    expect(b).toBe(a);
    expect(new Uint8Array(b.buffer).every((x) => x === 0)).toBe(true);
    b.grow(1);
    releaseMemory(shape, b);
    const c = takeMemory(shape);
    expect(c).not.toBe(b);
    expect(c.buffer.byteLength).toBe(65536);
  });
});

describe('tasks on pooled memories (in-process task runner)', () => {
  it('reuses the memory and a task cannot read what the previous task left in it', async () => {
    const writer = await instrumented('pool-writer', WRITER);
    const reader = await instrumented('pool-reader', READER);
    const before = memoryPoolStats();
    for (let i = 0; i < 5; i++) {
      const w = runTask(writer.module, request(writer.memory), control, () => {});
      expect(w.status).toBe('COMPLETED');
      expect(w.output).toBe(1);
      const r = runTask(reader.module, request(reader.memory), control, () => {});
      expect(r.status).toBe('COMPLETED');
      expect(r.output).toBe(0);
    }
    const after = memoryPoolStats();
    // Ten tasks, one shape: all but the first took the memory the previous task released.
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(9);
  });

  it('does not reuse a memory that grew', async () => {
    const grower = await instrumented('pool-grower', GROWER);
    const before = memoryPoolStats();
    for (let i = 0; i < 3; i++) expect(runTask(grower.module, request(grower.memory), control, () => {}).status).toBe('COMPLETED');
    expect(memoryPoolStats().created - before.created).toBeGreaterThanOrEqual(2);
  });
});

describe('tasks on pooled memories (worker threads, spares included)', () => {
  const runtime = new WasmRuntime({ workers: 1, maxMemoryBytes: MAX_MEMORY });
  afterAll(() => runtime.close());

  it('a reader after a writer on the same worker sees only zeros', async () => {
    await runtime.start();
    const writer = agentFor('pool-writer', await watFile('pool-writer', WRITER));
    const reader = agentFor('pool-reader', await watFile('pool-reader', READER));
    await runtime.prepare(writer);
    await runtime.prepare(reader);
    const signal = new AbortController().signal;
    // Writer twice in a row leaves a spare built on a pooled memory; the reader alternates with it.
    for (let i = 0; i < 6; i++) {
      for (const a of [writer, writer, reader, reader]) {
        const r = await runtime.execute(a, taskFor(a), signal);
        expect(r.status).toBe('COMPLETED');
        expect(r.output).toBe(a === writer ? 1 : 0);
      }
    }
  });
});
