// OUT_OF_FUEL is exact: over generated bodies, a run traps OUT_OF_FUEL exactly when it charged more than its budget.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECK_EVERY_FUEL } from '../../src/sandbox/wasm/costs.js';
import { FuelHost, OutOfFuel, runMetered, runPlain, wat } from './harness.js';

type Stmt =
  | { k: 'line'; n: number }
  | { k: 'if'; mask: number; then: Stmt[]; else?: Stmt[] }
  | { k: 'block'; before: Stmt[]; after: Stmt[] }
  | { k: 'loop'; times: number; body: Stmt[] }
  | { k: 'call'; helper: number }
  | { k: 'log' }
  | { k: 'ret'; value: number }
  | { k: 'table'; a: Stmt[]; b: Stmt[] }
  | { k: 'bulk'; copy: boolean; n: number };

const HELPERS = 3;
const stmt: fc.Memo<Stmt> = fc.memo((depth) => {
  const leaf = fc.oneof(
    fc.record({ k: fc.constant('line' as const), n: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ k: fc.constant('call' as const), helper: fc.integer({ min: 0, max: HELPERS - 1 }) }),
    fc.constant({ k: 'log' as const }),
    fc.record({ k: fc.constant('ret' as const), value: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ k: fc.constant('bulk' as const), copy: fc.boolean(), n: fc.integer({ min: 0, max: 40_000 }) }),
  );
  if (depth <= 1) return leaf;
  const list = fc.array(stmt(depth - 1), { maxLength: 4 });
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('if' as const), mask: fc.integer({ min: 1, max: 15 }), then: list, else: fc.option(list, { nil: undefined }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('block' as const), before: list, after: list }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('loop' as const), times: fc.integer({ min: 1, max: 6 }), body: list }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('table' as const), a: list, b: list }) },
  );
});

/** WAT for a statement list; `$acc` is the running value, `$p` the input, loop counters are `$i<n>`. */
function emit(list: Stmt[], counters: { n: number }, inHelper: number): string {
  return list.map((s) => {
    switch (s.k) {
      case 'line': return Array.from({ length: s.n }, (_, i) => `(local.set $acc (i32.add (local.get $acc) (i32.const ${i + 1})))`).join('\n');
      case 'call': return s.helper < inHelper ? `(local.set $acc (i32.xor (local.get $acc) (call $h${s.helper} (local.get $acc))))` : 'nop';
      case 'log': return '(call $log (local.get $acc))';
      case 'bulk': return s.copy ? `(memory.copy (i32.const 7) (i32.const 0) (i32.const ${s.n}))` : `(memory.fill (i32.const 0) (local.get $acc) (i32.const ${s.n}))`;
      case 'ret': return `(if (i32.eq (i32.and (local.get $acc) (i32.const 7)) (i32.const ${s.value})) (then (return (local.get $acc))))`;
      case 'if': return `(if (i32.and (local.get $p) (i32.const ${s.mask})) (then ${emit(s.then, counters, inHelper)})${s.else ? ` (else ${emit(s.else, counters, inHelper)})` : ''})`;
      case 'block': return `(block $b ${emit(s.before, counters, inHelper)} (br_if $b (i32.and (local.get $acc) (i32.const 1))) ${emit(s.after, counters, inHelper)})`;
      case 'table': return `(block $x (block $y (br_table $x $y $x (i32.and (local.get $acc) (i32.const 3)))) ${emit(s.a, counters, inHelper)}) ${emit(s.b, counters, inHelper)}`;
      case 'loop': {
        const i = `$i${counters.n++}`;
        return `(local.set ${i} (i32.const ${s.times})) (loop $l ${emit(s.body, counters, inHelper)} (br_if $l (local.tee ${i} (i32.sub (local.get ${i}) (i32.const 1)))))`;
      }
    }
  }).join('\n');
}

function func(name: string, body: Stmt[], index: number): string {
  const counters = { n: 0 };
  const code = emit(body, counters, index);
  const locals = Array.from({ length: counters.n }, (_, i) => `(local $i${i} i32)`).join(' ');
  return `(func ${name} (param $p i32) (result i32) (local $acc i32) ${locals} (local.set $acc (local.get $p)) ${code} (local.get $acc))`;
}

function moduleOf(main: Stmt[], helpers: Stmt[][]): string {
  const hs = helpers.map((b, i) => func(`$h${i}`, b, i)).join('\n');
  return `(module (import "env" "log" (func $log (param i32))) (memory 1) ${hs} ${func('(export "f")', main, HELPERS)})`;
}

const env = { env: { log: () => {} } };

describe('OUT_OF_FUEL is exact', () => {
  // ARI_OOF_RUNS=5000 for a longer search.
  it('a run over its budget never returns; one within it always completes with the plain result', async () => {
    const cases = fc.record({
      main: fc.array(stmt(4), { minLength: 1, maxLength: 8 }),
      helpers: fc.array(fc.array(stmt(3), { maxLength: 4 }), { minLength: HELPERS, maxLength: HELPERS }),
      input: fc.integer({ min: 0, max: 255 }),
      budget: fc.integer({ min: 0, max: 3000 }),
      slice: fc.integer({ min: 1, max: 3000 }),
    });
    await fc.assert(fc.asyncProperty(cases, async ({ main, helpers, input, budget, slice }) => {
      const bytes = await wat(moduleOf(main, helpers));
      const expected = runPlain(bytes, env).f(input);
      const free = runMetered(bytes, env);
      expect(free.exports.f(input)).toBe(expected);
      const total = free.host.consumed();
      const run = runMetered(bytes, env, new FuelHost(budget, slice));
      let threw = false;
      try {
        expect(run.exports.f(input)).toBe(expected);
      } catch (e) {
        if (!(e instanceof OutOfFuel)) throw e;
        threw = true;
      }
      expect({ threw, total, budget }).toEqual({ threw: total > budget, total, budget });
      if (!threw) expect(run.host.consumed()).toBe(total);
    }), { numRuns: Number(process.env.ARI_OOF_RUNS ?? 300) });
  }, 120_000);

  it('a body of 20,000 if segments under fuel 100 traps, at most one test interval past its budget', async () => {
    const ifs = Array.from({ length: 20_000 }, () => '(if (local.get 0) (then (local.set 0 (i32.add (local.get 0) (i32.const 1)))))').join('\n');
    const run = runMetered(await wat(`(module (func (export "f") (param i32) (result i32) ${ifs} (local.get 0)))`), {}, new FuelHost(100, 100));
    expect(() => run.exports.f(1)).toThrow(OutOfFuel);
    expect(run.host.consumed()).toBeGreaterThan(100);
    expect(run.host.consumed()).toBeLessThanOrEqual(100 + CHECK_EVERY_FUEL + 10);
  });

  it('straight-line code after the last test is caught on the way out, and before a host call', async () => {
    const line = Array.from({ length: 500 }, () => '(local.set 0 (i32.add (local.get 0) (i32.const 1)))').join('\n');
    const bytes = await wat(`(module (import "env" "log" (func $log (param i32)))
      (func (export "f") (param i32) (result i32) ${line} (local.get 0))
      (func (export "g") (param i32) ${line} (call $log (local.get 0))))`);
    const logged: number[] = [];
    const run = runMetered(bytes, { env: { log: (x: number) => void logged.push(x) } }, new FuelHost(100, 100));
    expect(() => run.exports.f(0)).toThrow(OutOfFuel);
    const run2 = runMetered(bytes, { env: { log: (x: number) => void logged.push(x) } }, new FuelHost(100, 100));
    expect(() => run2.exports.g(0)).toThrow(OutOfFuel);
    expect(logged).toEqual([]);
  });
});

describe('a deliberate trap after an overrun', () => {
  it('ends OUT_OF_FUEL rather than as a crash', async () => {
    // 800 fuel after the entry test: under the periodic-test threshold, so only the test before `unreachable` sees it.
    const line = Array.from({ length: 200 }, () => '(local.set 0 (i32.add (local.get 0) (i32.const 1)))').join('\n');
    const bytes = await wat(`(module (func (export "f") (param i32) (if (local.get 0) (then nop)) ${line} unreachable))`);
    expect(() => runMetered(bytes, {}, new FuelHost(100, 100)).exports.f(0)).toThrow(OutOfFuel);
    expect(() => runMetered(bytes, {}, new FuelHost(1e9)).exports.f(0)).toThrow(WebAssembly.RuntimeError);
  });
});
