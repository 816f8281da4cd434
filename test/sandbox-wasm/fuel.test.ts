// Fuel: exact by the documented rule, deterministic, independent of slicing, and it stops runaway code.
import { describe, expect, it } from 'vitest';
import { FuelHost, OutOfFuel, runMetered, wat } from './harness.js';

const SUM_LOOP = `(module (func (export "f") (param $n i32) (result i32) (local $acc i32)
  (loop $l
    local.get $acc
    local.get $n
    i32.add
    local.set $acc
    local.get $n
    i32.const 1
    i32.sub
    local.tee $n
    br_if $l)
  local.get $acc))`;

describe('fuel accounting', () => {
  it('matches hand counts: 1 per operator, block/loop/else/end/nop free', async () => {
    const straight = runMetered(await wat(`(module (func (export "f") (result i32) nop i32.const 1 i32.const 2 i32.add))`));
    expect(straight.exports.f()).toBe(3);
    expect(straight.host.consumed()).toBe(3);

    // Entry segment [loop] costs 0, each pass of the body 9, the tail [local.get] 1.
    const loop = runMetered(await wat(SUM_LOOP));
    expect(loop.exports.f(5)).toBe(15);
    expect(loop.host.consumed()).toBe(9 * 5 + 1);

    // Segments: [local.get if]=2, then [i32.const]=1 or else [i32.const i32.const i32.add]=3, tail []=0.
    const branchy = runMetered(await wat(`(module (func (export "f") (param i32) (result i32)
      (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.add (i32.const 2) (i32.const 3))))))`));
    expect(branchy.exports.f(1)).toBe(1);
    expect(branchy.host.consumed()).toBe(3);
    expect(branchy.exports.f(0)).toBe(5);
    expect(branchy.host.consumed()).toBe(3 + 5);

    // A call costs 1 in the caller plus the callee's own count: caller [i32.const call]=2, callee [local.get i32.const i32.mul]=3.
    const calls = runMetered(await wat(`(module
      (func $dbl (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
      (func (export "f") (result i32) (call $dbl (i32.const 21))))`));
    expect(calls.exports.f()).toBe(42);
    expect(calls.host.consumed()).toBe(5);
  });

  it('is deterministic and independent of the slice size', async () => {
    const bytes = await wat(`(module (memory 1)
      (func $fib (param i32) (result i32) (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
      (func (export "f") (result i32) (local $i i32) (local $v v128)
        (loop $l
          (i32.store (i32.shl (local.get $i) (i32.const 2)) (call $fib (i32.and (local.get $i) (i32.const 15))))
          (local.set $v (i32x4.add (local.get $v) (v128.load (i32.shl (local.get $i) (i32.const 2)))))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 200))))
        (memory.fill (i32.const 0) (i32.const 0) (i32.const 1000))
        (i32x4.extract_lane 0 (local.get $v))))`);
    const counts = [1e12, 1e12, 1000, 37, 1].map((slice) => {
      const run = runMetered(bytes, {}, new FuelHost(1e12, slice));
      run.exports.f();
      return run.host.consumed();
    });
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBeGreaterThan(10_000);
  });

  it('interrupts an infinite loop that makes no calls', async () => {
    const run = runMetered(await wat(`(module (func (export "spin") (loop $l (br $l))))`), {}, new FuelHost(1_000_000, 10_000));
    expect(() => run.exports.spin()).toThrow(OutOfFuel);
    expect(run.host.calls).toBe(100);
    // The loop body [br] costs 1 per pass, so the budget is overrun by at most one pass.
    expect(run.host.consumed()).toBe(1_000_001);
  });

  it('interrupts unbounded recursion before the stack runs out', async () => {
    const run = runMetered(await wat(`(module (func $r (export "r") (param i32) (call $r (i32.add (local.get 0) (i32.const 1)))))`), {}, new FuelHost(3000, 1000));
    expect(() => run.exports.r(0)).toThrow(OutOfFuel);
    expect(run.host.consumed()).toBeLessThanOrEqual(3000 + 4);
  });

  it('stops a slice-by-slice refuelled loop with params, and the counter survives host calls', async () => {
    const bytes = await wat(`(module (import "env" "log" (func $log (param i32)))
      (type $t (func (param i32) (result i32)))
      (func (export "f") (param $n i32) (result i32)
        (local.get $n)
        (loop $l (type $t)
          (call $log)
          (local.get $n)
          (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l))
        (i32.const 0) (i32.add)))`);
    const logged: number[] = [];
    const small = runMetered(bytes, { env: { log: (x: number) => void logged.push(x) } }, new FuelHost(1e9, 3));
    expect(small.exports.f(10)).toBe(1);
    expect(logged).toEqual([10, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    const big = runMetered(bytes, { env: { log: () => {} } }, new FuelHost(1e9, 1e9));
    big.exports.f(10);
    expect(small.host.consumed()).toBe(big.host.consumed());
    expect(small.host.calls).toBeGreaterThanOrEqual(10);
  });
});
