// Components (issue 5) in the wasm runtime: one exact fuel budget across core modules, both agent shapes,
// transpile-once caching, and an execute-task err built here from WAT + WIT with the repo's jco-transpile.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco-transpile/wasm-tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpileCount } from '../../src/runtimes/wasm/host/component-transpile.js';
import { DeadlineExceeded, NotArmed, OutOfFuel } from '../../src/runtimes/wasm/shared/outcome-markers.js';
import { FuelMeter } from '../../src/runtimes/wasm/worker/fuel-meter.js';
import { WasmRuntime } from '../../src/runtimes/wasm/host/wasm-runtime.js';
import type { WasmAgentSpec } from '../../src/runtimes/wasm/agent-spec.js';
import { instrumentModule } from '../../src/sandbox/wasm/instrument.js';
import type { Limits } from '../../src/contract/limits.js';
import { agentFor, taskFor } from './wat.js';

const REPO = join(import.meta.dirname, '../..');
const COMP = join(REPO, 'fixtures/agents/components');
const TMP = mkdtempSync(join(tmpdir(), 'ari-components-test-'));

describe('FuelMeter: one budget across several instrumented modules (a component)', () => {
  const B = `(module (func (export "work") (param $n i32) (local $i i32)
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (local.get $n))))))`;
  const A = `(module (import "b" "work" (func $w (param i32)))
    (func (export "run") (param $n i32) (local $i i32)
      (loop $l (call $w (i32.const 1000)) (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))))`;
  let a: WebAssembly.Module;
  let b: WebAssembly.Module;
  const cancel = new Int32Array(new SharedArrayBuffer(4));

  beforeAll(async () => {
    const metered = async (wat: string) => new WebAssembly.Module(instrumentModule(await parse(wat), { maxMemoryBytes: 1 << 20, allowImport: () => true }).bytes);
    [a, b] = await Promise.all([metered(A), metered(B)]);
  });

  function instance(meter: FuelMeter, mod: WebAssembly.Module, imports: WebAssembly.Imports = {}) {
    const counter = meter.counter();
    const i = new WebAssembly.Instance(mod, { ...imports, __ari: { out_of_fuel: counter.outOfFuel } });
    counter.bind(i.exports.__ari_fuel as WebAssembly.Global);
    return i.exports as Record<string, (n: number) => void>;
  }

  function armed(budget = 1e12, deadline = Date.now() + 60_000) {
    const meter = new FuelMeter();
    meter.arm({ budget, deadline, cancel, cpuMillis: 60_000 });
    return meter;
  }

  /** A.run(n) calling B.work(1000) n times: linked through one meter vs each module metered alone. */
  function linked(n: number, meter = armed()) {
    const bx = instance(meter, b);
    const ax = instance(meter, a, { b: { work: bx.work } });
    ax.run(n);
    return meter;
  }

  it('consumed = Σ over modules, exactly, across many slices', () => {
    const n = 3000;
    const alone = armed();
    const bx = instance(alone, b);
    bx.work(1000);
    const perWork = alone.consumed();
    const aOnly = armed();
    instance(aOnly, a, { b: { work: () => {} } }).run(n);
    const total = linked(n).consumed();
    expect(total).toBeGreaterThan(2_000_000); // several FUEL_SLICEs, handed back and forth between the modules
    expect(total).toBe(aOnly.consumed() + n * perWork);
    expect(linked(n).consumed()).toBe(total);
  });

  it('stops at the shared budget (consumed = budget), at the deadline, and refuses fuel before it is armed', () => {
    const small = armed(50_000);
    expect(() => linked(3000, small)).toThrow(OutOfFuel);
    expect(small.consumed()).toBe(50_000);
    expect(() => linked(3000, armed(1e12, Date.now() - 1))).toThrow(DeadlineExceeded);
    expect(() => linked(3000, new FuelMeter())).toThrow(NotArmed);
  });
});

describe('WasmRuntime with components', () => {
  const runtime = new WasmRuntime({ workers: 2, maxMemoryBytes: 64 * 1024 * 1024 });
  const agents: Record<string, WasmAgentSpec> = {};
  let errComponent: string;

  async function run(id: string, input: unknown = { operation: 'multiply', operands: [7, 6] }, limits: Partial<Limits> = {}, capability = 'arithmetic') {
    // One task id for all: it is part of the task document, whose length the agents' fuel depends on.
    return runtime.execute(agents[id]!, { ...taskFor(agents[id]!, input, limits), taskId: 'same-id', capability }, new AbortController().signal);
  }

  beforeAll(async () => {
    // execute-task answering err("division by zero"): the canonical-ABI return area at 0 = {tag 1, ptr 64, len 16}.
    const core = await parse(`(module (memory (export "memory") 1)
      (data (i32.const 0) "\\01\\00\\00\\00\\40\\00\\00\\00\\10\\00\\00\\00")
      (data (i32.const 64) "division by zero")
      (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
      (func (export "execute-task") (param i32 i32) (result i32) (i32.const 0)))`);
    const embedded = await componentEmbed({ binary: core, witSource: readFileSync(join(REPO, 'proto/ari/v1/agent.wit'), 'utf8'), world: 'agent' });
    errComponent = join(TMP, 'err-task.wasm');
    writeFileSync(errComponent, await componentNew(embedded));
    await runtime.start();
    for (const [id, file] of [['cmd', join(COMP, 'math-command.wasm')], ['task', join(COMP, 'math-task.wasm')], ['err', errComponent]]) {
      agents[id] = agentFor(id, file);
      await runtime.prepare(agents[id]!);
    }
  }, 60_000);
  afterAll(async () => {
    await runtime.close();
    // threads that loaded preview2-shim end its I/O helper thread first: allow a loaded host 5 s
    for (let i = 0; i < 100 && runtime.workerCount() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(runtime.workerCount()).toBe(0);
  });

  it('runs the MathAgent as a wasi:cli/run command and as an execute-task component', async () => {
    for (const id of ['cmd', 'task']) {
      const r = await run(id);
      expect(r.status, JSON.stringify(r.error)).toBe('COMPLETED');
      expect(r.output).toEqual({ result: 42 });
      expect(r.metrics).toEqual({ operand_count: 2 });
      const s = await run(id, { operation: 'stddev', values: [2, 4, 4, 4, 5, 5, 7, 9] }, {}, 'statistics');
      expect(s.output).toEqual({ result: 2 });
      const e = await run(id, { operation: 'divide', operands: [1, 0] });
      expect(e.status).toBe('FAILED');
      expect(e.error?.code).toBe('AGENT_ERROR');
    }
  });

  it('maps execute-task err(msg) to FAILED AGENT_ERROR with the message', async () => {
    const r = await run('err');
    expect(r.status).toBe('FAILED');
    expect(r.error).toEqual({ code: 'AGENT_ERROR', message: 'division by zero' });
  });

  it('reports identical fuel on every run (fresh and pre-instantiated instances alike), never transpiling again', async () => {
    const before = transpileCount();
    for (const id of ['cmd', 'task']) {
      const fuel = new Set<number>();
      for (let i = 0; i < 6; i++) fuel.add((await run(id)).usage.fuelConsumed);
      expect(fuel.size).toBe(1);
      expect([...fuel][0]).toBeGreaterThan(1000);
    }
    await runtime.prepare(agentFor('cmd-again', join(COMP, 'math-command.wasm')));
    expect(transpileCount()).toBe(before);
    expect((await runtime.health()).features).toMatchObject({ components: 'jco' });
  });

  it('runs a task within a tight budget to OUT_OF_FUEL with fuel_consumed = the budget', async () => {
    const r = await run('cmd', undefined, { fuel: 5000 });
    expect(r.status).toBe('OUT_OF_FUEL');
    expect(r.usage.fuelConsumed).toBe(5000);
  });

  it('refuses a component importing something the sandbox does not provide', async () => {
    const core = await parse(`(module (import "t:t/api" "f" (func)) (memory (export "memory") 1)
      (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0))
      (func (export "execute-task") (param i32 i32) (result i32) (call 0) (i32.const 0)))`);
    const wit = `package t:t;\ninterface api { f: func(); }\nworld agent { import api; export execute-task: func(task: string) -> result<string, string>; }\n`;
    const file = join(TMP, 'foreign-import.wasm');
    // If this jco cannot embed the WIT as written, the test fails here (it must not pass without checking anything).
    const embedded = await componentEmbed({ binary: core, witSource: wit, world: 'agent' });
    writeFileSync(file, await componentNew(embedded));
    await expect(runtime.prepare(agentFor('foreign', file))).rejects.toThrow(/imports .*which the sandbox does not provide/);
  });
});
