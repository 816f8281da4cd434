// Short wasm tasks on the daemon's main thread (issue 12): what is answered there, what is sent on to a worker, how
// long the main thread is held by the hostile fixtures, and what the metering check refuses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Limits } from '../../src/contract/limits.js';
import type { WasmAgentSpec } from '../../src/runtimes/wasm/agent-spec.js';
import { WasmRuntime } from '../../src/runtimes/wasm/host/wasm-runtime.js';
import { instrumentModule } from '../../src/sandbox/wasm/instrument.js';
import { unmeteredReason } from '../../src/sandbox/wasm/metering-check.js';
import * as M from './modules.js';
import { agentFor, REPO_DIR, seedModule, taskFor, watFile } from './wat.js';

const HOSTILE = join(REPO_DIR, 'fixtures/agents/wasm-hostile');
/**
 * Generous bound on one inline try (instantiate + at most 100k fuel + result): ~0.1–2 ms on a quiet host. A worker's
 * fuel slice is ~1 ms of guest code; a loaded 2-core host may stretch anything several times.
 */
const HOLD_BOUND_MS = 50;
const runtime = new WasmRuntime({ workers: 2, maxMemoryBytes: 256 * 1024 * 1024 });

async function agent(id: string, file: string): Promise<WasmAgentSpec> {
  const a = agentFor(id, file);
  await runtime.prepare(a);
  return a;
}

async function run(a: WasmAgentSpec, limits: Partial<Limits> = {}) {
  const logs: string[] = [];
  const r = await runtime.execute(a, taskFor(a, { x: 1 }, limits), new AbortController().signal, { onLog: (l) => logs.push(l) });
  return { ...r, logs };
}

beforeAll(async () => {
  await runtime.start();
});
afterAll(async () => {
  await runtime.close();
});

describe('inline runs on the main thread', () => {
  it('answers a trivial seed task there, with its log lines once', async () => {
    const file = await watFile('echo', M.SEED_ECHO);
    // A busy host can stretch a try past its few milliseconds (it is then answered by a worker), or past
    // INLINE_SLOW_MS (its module then goes to workers for good): a few tries, each with a module of its own.
    for (let i = 0; i < 10; i++) {
      const a = await agent(`echo-${i}`, file);
      const before = runtime.inlineStats();
      const r = await run(a);
      expect(r.status).toBe('COMPLETED');
      expect(r.logs).toEqual(['hello log']);
      if (runtime.inlineStats().inline === before.inline + 1) return;
    }
    throw new Error('10 runs of a trivial task: none answered on the main thread');
  });

  it('sends a task needing more than the inline slice to a worker, which counts all of its fuel', async () => {
    const a = await agent('count', await watFile('count', M.seedCount(2_000_000)));
    const before = runtime.inlineStats();
    const r = await run(a);
    expect(r.status).toBe('COMPLETED');
    expect(r.usage.fuelConsumed).toBeGreaterThan(2_000_000);
    expect(runtime.inlineStats().declined).toBe(before.declined + 1);
  });

  it('keeps the log lines of a try it gives up on out of the answer (the worker run sends them once)', async () => {
    const wat = seedModule('(call $log (i32.const 512) (i32.const 4)) (loop $l (br $l))', undefined,
      '(import "env" "log" (func $log (param i32 i32)))');
    const withData = wat.replace('(memory (export "memory") 1)', '(memory (export "memory") 1) (data (i32.const 512) "once")');
    const a = await agent('log-then-spin', await watFile('log-then-spin', withData));
    const r = await run(a, { timeoutMs: 300, fuel: 1e12 });
    expect(r.status).toBe('TIMEOUT');
    expect(r.logs).toEqual(['once']);
  });

  // Expected outcomes: fixtures/agents/wasm-hostile/README.md.
  it.each([
    ['loop', 'TIMEOUT'], ['recursion', 'FAILED'], ['straight-line', 'COMPLETED'], ['nested', 'FAILED'], ['bulk-fill-loop', 'TIMEOUT'],
    ['bulk-copy-loop', 'TIMEOUT'], ['log-flood', 'COMPLETED'], ['flood', 'OUTPUT_LIMIT'], ['grow-bomb', 'OUT_OF_MEMORY'], ['trap', 'FAILED'],
  ])('hostile %s: %s as on a worker, the main thread held < HOLD_BOUND_MS', async (name, status) => {
    const a = await agent(`hostile-${name}`, join(HOSTILE, `${name}.wasm`));
    const r = await run(a, { timeoutMs: 300, fuel: 1e12, memoryBytes: 128 * 1024 * 1024, outputBytes: 1024 * 1024 });
    expect(r.status, r.error?.message).toBe(status);
    const { longestMs } = runtime.inlineStats();
    expect(longestMs, `longest inline try ${longestMs.toFixed(1)} ms`).toBeLessThan(HOLD_BOUND_MS);
  });
});

/** The instrumented bytes of a fixture, and a copy with `from` (a byte pattern) replaced by `to` once. */
function instrumented(file: string): Uint8Array {
  return instrumentModule(readFileSync(file), { maxMemoryBytes: 64 << 20, allowImport: () => true, importMemory: true }).bytes;
}

function patched(bytes: Uint8Array, match: (b: Uint8Array, i: number) => number[] | undefined): Uint8Array {
  for (let i = 0; i < bytes.length; i++) {
    const replacement = match(bytes, i);
    if (!replacement) continue;
    const out = Uint8Array.from(bytes);
    out.set(replacement, i);
    return out;
  }
  throw new Error('pattern not found');
}

describe('metering check (instrumented code that could run on without asking for fuel stays off the main thread)', () => {
  const loop = instrumented(join(HOSTILE, 'loop.wasm'));

  it('accepts what the instrumenter makes of the math agents and the hostile fixtures', () => {
    for (const f of ['fixtures/agents/math/math.wasm', 'fixtures/agents/math/math-wasi.wasm']) expect(unmeteredReason(instrumented(join(REPO_DIR, f)))).toBeUndefined();
    for (const name of ['loop', 'recursion', 'nested', 'bulk-fill-loop', 'bulk-copy-loop', 'log-flood']) {
      expect(unmeteredReason(instrumented(join(HOSTILE, `${name}.wasm`))), name).toBeUndefined();
    }
  });

  it('refuses a loop whose header test was lost (br_if of the test turned into drop + nop)', () => {
    // local.get L; i64.const 0; i64.lt_s; br_if 1  →  …; drop; nop
    const broken = patched(loop, (b, i) => (b[i] === 0x42 && b[i + 1] === 0 && b[i + 2] === 0x53 && b[i + 3] === 0x0d && b[i + 4] === 1 ? [0x42, 0, 0x53, 0x1a, 0x01] : undefined));
    expect(WebAssembly.validate(broken as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(unmeteredReason(broken)).toMatch(/back-edge/);
  });

  it('refuses a loop whose charge became zero', () => {
    // local.get L; i64.const n≥1; i64.sub; local.set L  →  i64.const 0
    const broken = patched(loop, (b, i) => (b[i] === 0x20 && b[i + 2] === 0x42 && b[i + 3]! >= 1 && b[i + 3]! < 0x40 && b[i + 4] === 0x7d && b[i + 5] === 0x21 ? [0x20, b[i + 1]!, 0x42, 0] : undefined));
    expect(WebAssembly.validate(broken as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(unmeteredReason(broken)).toMatch(/back-edge/);
  });

  it('refuses a module that was never instrumented', () => {
    expect(unmeteredReason(readFileSync(join(HOSTILE, 'loop.wasm')))).toMatch(/not an instrumented module/);
  });

  it('a module the check refuses is never tried on the main thread', async () => {
    const a = await agent('table-grow', join(HOSTILE, 'table-grow-bomb.wasm'));
    expect(unmeteredReason(instrumented(join(HOSTILE, 'table-grow-bomb.wasm')))).toBeDefined();
    const before = runtime.inlineStats();
    const r = await run(a, { timeoutMs: 300, fuel: 1e12, memoryBytes: 64 * 1024 * 1024 });
    expect(r.status).not.toBe('COMPLETED');
    expect(runtime.inlineStats()).toMatchObject({ inline: before.inline, declined: before.declined });
  });
});
