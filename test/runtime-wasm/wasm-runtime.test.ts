// WasmRuntime end to end on real wasm (built from WAT): every outcome, fuel, deadline, memory, isolation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmRuntime } from '../../src/runtimes/wasm/host/wasm-runtime.js';
import { AgentLoadError } from '../../src/runtimes/runtime.js';
import type { WasmAgentSpec } from '../../src/runtimes/wasm/agent-spec.js';
import type { Limits } from '../../src/contract/limits.js';
import * as M from './modules.js';
import { agentFor, taskFor, watFile } from './wat.js';

const WORKERS = 2;
const runtime = new WasmRuntime({ workers: WORKERS, maxMemoryBytes: 64 * 1024 * 1024 });

async function agent(id: string, wat: string, env: Record<string, string> = {}): Promise<WasmAgentSpec> {
  const a = agentFor(id, await watFile(id, wat), env);
  await runtime.prepare(a);
  return a;
}

async function run(a: WasmAgentSpec, limits: Partial<Limits> = {}, input: unknown = { x: 1 }, signal = new AbortController().signal) {
  const logs: string[] = [];
  const result = await runtime.execute(a, taskFor(a, input, limits), signal, { onLog: (l) => logs.push(l) });
  return { ...result, logs };
}

beforeAll(async () => {
  await runtime.start();
});
afterAll(async () => {
  await runtime.close();
  expect(runtime.workerCount()).toBe(0);
});

describe('well-behaved agents', () => {
  it('runs a seed ABI echo and captures env.log', async () => {
    const a = await agent('seed-echo', M.SEED_ECHO);
    const r = await run(a, {}, { n: [1, 2] });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({ capability: 'echo', input: { n: [1, 2] } });
    expect(r.logs).toEqual(['hello log']);
    expect(r.usage.outputBytes).toBeGreaterThan(10);
    // Linear memory + the module's tables/globals/instrumentation + the task document held by the host.
    expect(r.usage.peakMemoryBytes).toBeGreaterThan(65536);
    expect(r.usage.peakMemoryBytes).toBeLessThan(65536 + 4096);
    expect(r.usage.fuelConsumed).toBeGreaterThan(0);
  });

  it('runs a WASI command with stdin/stdout JSON and stderr logs', async () => {
    const a = await agent('wasi-echo', M.WASI_ECHO);
    const r = await run(a, {}, { hello: 'wasi' });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({ input: { hello: 'wasi' } });
    expect(r.usage.exitCode).toBe(0);
    expect(r.logs).toEqual(['hi']);
  });

  it('reports an agent error as FAILED AGENT_ERROR', async () => {
    const r = await run(await agent('agent-error', M.SEED_AGENT_ERROR));
    expect(r.status).toBe('FAILED');
    expect(r.error).toEqual({ code: 'AGENT_ERROR', message: 'division by zero' });
  });

  it('gives every task a fresh instance (a global counter is 1 every time)', async () => {
    const a = await agent('counter', M.SEED_COUNTER);
    for (let i = 0; i < 6; i++) expect((await run(a)).output).toBe(1);
  });
});

describe('limits', () => {
  it('stops a call-free infinite loop at the deadline without killing the worker (precision: ari conformance)', async () => {
    const a = await agent('spin', M.SEED_SPIN);
    const replacedBefore = runtime.replacedWorkers();
    const started = Date.now();
    const r = await run(a, { timeoutMs: 300 });
    const elapsed = Date.now() - started;
    expect(r.status).toBe('TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(1300);
    expect(runtime.replacedWorkers()).toBe(replacedBefore);
    expect(runtime.workerCount()).toBe(WORKERS);
  });

  it('reports OUT_OF_FUEL with fuel_consumed equal to the budget', async () => {
    const a = await agent('burn', M.seedCount(50_000_000));
    const r = await run(a, { fuel: 2_500_000 });
    expect(r.status).toBe('OUT_OF_FUEL');
    expect(r.usage.fuelConsumed).toBe(2_500_000);
  });

  it('counts the same fuel on every run', async () => {
    const a = await agent('count', M.seedCount(100_000));
    const seen = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const r = await run(a);
      expect(r.status).toBe('COMPLETED');
      seen.add(r.usage.fuelConsumed);
    }
    expect(seen.size).toBe(1);
    expect([...seen][0]).toBeGreaterThan(100_000);
  });

  it('turns a memory.grow bomb into OUT_OF_MEMORY at the task limit', async () => {
    const a = await agent('grow-bomb', M.SEED_GROW_BOMB);
    const r = await run(a, { memoryBytes: 4 * 1024 * 1024 });
    expect(r.status).toBe('OUT_OF_MEMORY');
    expect(r.usage.peakMemoryBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('caps a WASI stdout flood with OUTPUT_LIMIT', async () => {
    const r = await run(await agent('flood', M.WASI_FLOOD), { outputBytes: 10_000 });
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(r.usage.outputBytes).toBeGreaterThan(10_000);
  });

  it('a result length pointing past the end of memory is BAD_OUTPUT, not a flood', async () => {
    const r = await run(await agent('huge-result', M.SEED_HUGE_RESULT));
    expect(r.status).toBe('FAILED');
    expect(r.error?.code).toBe('BAD_OUTPUT');
    expect(r.error?.message).toMatch(/outside the .*-byte memory/);
  });

  it('cancels a running task', async () => {
    const a = await agent('spin-cancel', M.SEED_SPIN);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await run(a, { timeoutMs: 10_000 }, {}, ac.signal);
    expect(r.status).toBe('CANCELLED');
    expect(r.usage.wallMs).toBeLessThan(2000);
  });
});

describe('crashes and hostile modules', () => {
  it.each([
    ['trap', M.SEED_TRAP, /unreachable/],
    ['div0', M.SEED_DIV0, /divide by zero/],
    ['recursion', M.SEED_RECURSE, /call stack/],
  ])('reports %s as FAILED CRASHED with the trap message', async (id, wat, message) => {
    const r = await run(await agent(id, wat));
    expect(r.status).toBe('FAILED');
    expect(r.error?.code).toBe('CRASHED');
    expect(r.error?.message).toMatch(message);
  });

  it.each([
    ['lying-pointer', M.SEED_LYING_POINTER],
    ['bad-json', M.SEED_BAD_JSON],
  ])('reports %s as FAILED BAD_OUTPUT', async (id, wat) => {
    const r = await run(await agent(id, wat));
    expect(r.status).toBe('FAILED');
    expect(r.error?.code).toBe('BAD_OUTPUT');
  });

  it('rejects a disallowed import at prepare, naming it', async () => {
    const a = agentFor('forbidden', await watFile('forbidden', M.SEED_FORBIDDEN_IMPORT));
    await expect(runtime.prepare(a)).rejects.toThrow(AgentLoadError);
    await expect(runtime.prepare(a)).rejects.toThrow(/env\.system/);
  });

  it('rejects a broken component clearly (components themselves: components.test.ts)', async () => {
    const a = agentFor('component', await watFile('core', '(module)'));
    const { writeFileSync, readFileSync } = await import('node:fs');
    const bytes = readFileSync(a.module!);
    bytes.set([0x0d, 0x00, 0x01, 0x00], 4);
    writeFileSync(a.module!, bytes);
    await expect(runtime.prepare(a)).rejects.toThrow(/component .*: component exports neither execute-task .* nor wasi:cli\/run/);
  });

  it('denies WASI file and socket access', async () => {
    const r = await run(await agent('escape', M.WASI_ESCAPE));
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toBe('76 08 76');
  });

  it('survives 200 hostile tasks with the worker count unchanged', async () => {
    const kinds: [string, string, string][] = [
      ['h-spin', M.SEED_SPIN, 'TIMEOUT'], ['h-trap', M.SEED_TRAP, 'FAILED'], ['h-rec', M.SEED_RECURSE, 'FAILED'],
      ['h-grow', M.SEED_GROW_BOMB, 'OUT_OF_MEMORY'], ['h-flood', M.WASI_FLOOD, 'OUTPUT_LIMIT'],
      ['h-lie', M.SEED_LYING_POINTER, 'FAILED'], ['h-burn', M.seedCount(50_000_000), 'OUT_OF_FUEL'],
    ];
    const agents = await Promise.all(kinds.map(([id, wat]) => agent(id, wat)));
    const replacedBefore = runtime.replacedWorkers();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      // Only the spinner needs a short deadline; the others end on their own (a loaded host may make them slow).
      run(agents[i % kinds.length], {
        timeoutMs: kinds[i % kinds.length][0] === 'h-spin' ? 250 : 10_000,
        fuel: kinds[i % kinds.length][0] === 'h-burn' ? 5_000_000 : 1e12, memoryBytes: 1 << 20, outputBytes: 4096,
      })));
    results.forEach((r, i) => expect(r.status, `${kinds[i % kinds.length][0]}: ${r.error?.message}`).toBe(kinds[i % kinds.length][2]));
    expect(runtime.workerCount()).toBe(WORKERS);
    expect(runtime.replacedWorkers()).toBe(replacedBefore);
    const echo = await agent('after-storm', M.SEED_ECHO);
    expect((await run(echo)).status).toBe('COMPLETED');
  });
});
