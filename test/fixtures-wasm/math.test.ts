// The MathAgent builds (seed ABI, WASI command, execute-task component) against PROTOCOL.md and JS math.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, exportsOf, importsOf, load, runSeed, runWasi } from './core-hosts.js';
import { transpileComponent, type Transpiled } from './component-host.js';

/** [capability, input, expected result document] rows of PROTOCOL.md's table. */
function protocolCases(): Array<[string, unknown, unknown]> {
  const md = readFileSync(join(FIXTURES, 'math/PROTOCOL.md'), 'utf8');
  const rows: Array<[string, unknown, unknown]> = [];
  for (const line of md.split('\n')) {
    const m = /^\| (\w+) \| `(.+)` \| `(.+)` \|$/.exec(line);
    if (m) rows.push([m[1], JSON.parse(m[2]), JSON.parse(m[3])]);
    const unknown = /^\| \(unknown\) \| capability `"(\w+)"` \| `(.+)` \|$/.exec(line);
    if (unknown) rows.push([unknown[1], {}, JSON.parse(unknown[2])]);
  }
  return rows;
}

const doc = (capability: string, input: unknown) => JSON.stringify({ task_id: 't-1', capability, input });
const seed = load('math/math.wasm');
const wasi = load('math/math-wasi.wasm');
let component: Transpiled;
let componentTask: (task: string) => string;

beforeAll(async () => {
  component = await transpileComponent(join(FIXTURES, 'components/math-task.wasm'));
  const instance = await component.instantiate(async (name) => WebAssembly.compile(component.coreModules[name]), {});
  componentTask = instance.executeTask;
});

describe('MathAgent wasm builds', () => {
  it('import only what their ABI allows and export its entry points', () => {
    expect(importsOf(seed)).toEqual(['env.log']);
    expect(exportsOf(seed)).toEqual(['alloc', 'execute_task', 'memory']);
    expect(importsOf(wasi)).toEqual(['wasi_snapshot_preview1.fd_read', 'wasi_snapshot_preview1.fd_write', 'wasi_snapshot_preview1.proc_exit']);
    expect(exportsOf(wasi)).toEqual(['_start', 'memory']);
    expect(component.imports).toEqual([]);
    expect(component.exports).toEqual(['executeTask']);
  });

  const cases = protocolCases();
  it('PROTOCOL.md has its examples', () => expect(cases.length).toBeGreaterThanOrEqual(12));

  it.each(cases)('%s %j → the documented document on all three builds', (capability, input, expected) => {
    const task = doc(capability, input);
    expect(JSON.parse(runSeed(seed, task).text)).toEqual(expected);
    const w = runWasi(wasi, task);
    expect(w.exitCode).toBe(0);
    expect(w.stdout.endsWith('\n')).toBe(true);
    expect(JSON.parse(w.stdout)).toEqual(expected);
    expect(JSON.parse(componentTask(task))).toEqual(expected);
  });

  it('prints 7*6 as 42 and logs the capability through env.log', () => {
    const r = runSeed(seed, doc('arithmetic', { operation: 'multiply', operands: [7, 6] }));
    expect(r.text).toBe('{"output":{"result":42},"metrics":{"operand_count":2}}');
    expect(r.logs).toEqual(['MathAgent: capability arithmetic']);
  });

  it('answers malformed task documents and inputs with an error document, never a trap', () => {
    for (const bad of ['', 'nope', '[1,2]', '{"capability":"arithmetic"', '{"capability":"arithmetic","input":{"operation":"add","operands":[1,"2"]}}', '['.repeat(10000)]) {
      const r = JSON.parse(runSeed(seed, bad).text);
      expect(typeof r.error).toBe('string');
      expect(typeof JSON.parse(runWasi(wasi, bad).stdout).error).toBe('string');
    }
    expect(JSON.parse(runSeed(seed, '{"task_id":"x","capability":"arithmetic","input":{"operation":"pow","operands":[1,2]}}').text).error).toMatch(/^invalid input: /);
    expect(JSON.parse(runSeed(seed, '{"capability":"\\u00e9\\"q","input":{}}').text)).toEqual({ error: 'unknown capability: é"q' });
  });

  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
  it('arithmetic equals a JS left fold for any doubles (exact, after JSON parsing)', () => {
    fc.assert(fc.property(fc.constantFrom('add', 'subtract', 'multiply', 'divide'), fc.array(finite, { minLength: 2, maxLength: 20 }), (operation, operands) => {
      const out = JSON.parse(runSeed(seed, doc('arithmetic', { operation, operands })).text);
      let acc = operands[0];
      for (const x of operands.slice(1)) {
        if (operation === 'divide' && x === 0) { expect(out).toEqual({ error: 'division by zero' }); return; }
        acc = operation === 'add' ? acc + x : operation === 'subtract' ? acc - x : operation === 'multiply' ? acc * x : acc / x;
      }
      if (!Number.isFinite(acc)) { expect(out).toEqual({ error: 'result is not a finite number' }); return; }
      expect(out.output.result).toBe(acc === 0 ? 0 : acc); // -0 prints as 0
      expect(out.metrics).toEqual({ operand_count: operands.length });
    }), { numRuns: 300 });
  });

  it('statistics equal mean / median / population stddev computed in JS', () => {
    const modest = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(fc.property(fc.constantFrom('mean', 'median', 'stddev'), fc.array(modest, { minLength: 1, maxLength: 50 }), (operation, values) => {
      const out = JSON.parse(runSeed(seed, doc('statistics', { operation, values })).text);
      const n = values.length;
      const mean = values.reduce((a, b) => a + b, 0) / n;
      const sorted = [...values].sort((a, b) => a - b);
      const expected = operation === 'mean' ? mean
        : operation === 'median' ? (n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2)
        : Math.sqrt(values.reduce((a, x) => a + (x - mean) * (x - mean), 0) / n);
      expect(out.output.result).toBe(expected === 0 ? 0 : expected);
      expect(out.metrics).toEqual({ value_count: n });
    }), { numRuns: 300 });
  });
});
