// Instrumented modules compute exactly what the originals compute, across every supported feature.
import { describe, expect, it } from 'vitest';
import { runMetered, runPlain, wat } from './harness.js';

/** Runs `calls` on both the plain and the instrumented instance and expects identical results. */
async function same(source: string, calls: (e: Record<string, any>) => unknown, imports: () => WebAssembly.Imports = () => ({})) {
  const bytes = await wat(source);
  const plain = runPlain(bytes, imports());
  plain.__ari_start?.();
  const metered = runMetered(bytes, imports());
  const expected = calls(plain);
  expect(calls(metered.exports)).toEqual(expected);
  expect(metered.host.consumed()).toBeGreaterThan(0);
  return { expected, metered };
}

describe('instrumented kernels match the originals', () => {
  it('bulk memory: fill, copy, init, data.drop', async () => {
    await same(`(module (memory 1) (data $d "hello, bulk memory")
      (func (export "f") (result i32) (local $i i32) (local $s i32)
        (memory.fill (i32.const 100) (i32.const 7) (i32.const 50))
        (memory.init $d (i32.const 200) (i32.const 0) (i32.const 18))
        (data.drop $d)
        (memory.copy (i32.const 120) (i32.const 200) (i32.const 18))
        (loop $l
          (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31)) (i32.load8_u offset=100 (local.get $i))))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 120))))
        (local.get $s)))`, (e) => e.f());
  });

  it('sign-extension and saturating conversions', async () => {
    await same(`(module
      (func (export "f") (param $x i32) (result i32) (i32.add (i32.extend8_s (local.get $x)) (i32.extend16_s (local.get $x))))
      (func (export "g") (param $x i64) (result i64) (i64.extend32_s (local.get $x)))
      (func (export "h") (param $x f64) (result i32) (i32.trunc_sat_f64_s (local.get $x))))`,
    (e) => [e.f(0x80ff), e.f(0x7f7f), e.g(0x80000000n), e.h(1e30), e.h(-1e30), e.h(NaN), e.h(-3.7)]);
  });

  it('multi-value functions and type-indexed block types with parameters', async () => {
    await same(`(module
      (type $pair (func (param i32 i32) (result i32 i32)))
      (func $swap (type $pair) (local.get 1) (local.get 0))
      (func (export "f") (param $a i32) (param $b i32) (result i32) (local $i i32)
        (local.get $a) (local.get $b)
        (block (type $pair) (call $swap))
        (loop $l (type $pair)
          (call $swap)
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))
        (i32.sub))
      (func (export "two") (result i32 i64) (loop (result i32) (i32.const 7)) (loop (result i64) (i64.const -9))))`,
    (e) => [e.f(10, 3), e.two()]);
  });

  it('SIMD: loads, lanes, shuffles, load/store lane, v128.const', async () => {
    await same(`(module (memory 1)
      (func (export "f") (result i32) (local $i i32) (local $v v128)
        (loop $fill (i32.store8 (local.get $i) (local.get $i))
          (br_if $fill (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 256))))
        (local.set $v (v128.const i32x4 1 2 3 4))
        (local.set $v (i32x4.add (local.get $v) (v128.load offset=16 align=4 (i32.const 0))))
        (local.set $v (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get $v) (v128.load (i32.const 32))))
        (local.set $v (v128.load32_lane 2 (i32.const 64) (local.get $v)))
        (v128.store64_lane 1 (i32.const 300) (local.get $v))
        (local.set $v (i16x8.replace_lane 3 (local.get $v) (i32.const -2)))
        (i32.add (i32.add (i8x16.extract_lane_u 5 (local.get $v)) (i16x8.extract_lane_s 3 (local.get $v)))
          (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32.load (i32.const 304)))))
      (func (export "g") (result f64) (f64x2.extract_lane 1 (f64x2.mul (v128.load64_splat (i32.const 8)) (v128.const f64x2 1.5 2.5)))))`,
    (e) => [e.f(), e.g()]);
  });

  it('call_indirect, ref.func, element expressions and tables', async () => {
    await same(`(module
      (import "env" "log" (func $log (param i32)))
      (type $un (func (param i32) (result i32)))
      (table $t 4 funcref)
      (elem (table $t) (i32.const 0) func $inc $dbl)
      (elem (table $t) (i32.const 2) funcref (ref.func $neg) (ref.null func))
      (elem declare func $sq)
      (elem $passive funcref (ref.func $dbl) (ref.func $neg))
      (global $fg funcref (ref.func $inc))
      (func $inc (type $un) (i32.add (local.get 0) (i32.const 1)))
      (func $dbl (type $un) (i32.mul (local.get 0) (i32.const 2)))
      (func $neg (type $un) (i32.sub (i32.const 0) (local.get 0)))
      (func $sq (type $un) (i32.mul (local.get 0) (local.get 0)))
      (func (export "f") (param $x i32) (result i32)
        (call $log (local.get $x))
        (table.set $t (i32.const 3) (ref.func $sq))
        (i32.add (call_indirect $t (type $un) (local.get $x) (i32.const 0))
          (i32.add (call_indirect $t (type $un) (local.get $x) (i32.const 1))
            (i32.add (call_indirect $t (type $un) (local.get $x) (i32.const 2))
              (call_indirect $t (type $un) (local.get $x) (i32.const 3))))))
      (func (export "g") (result i32) (table.set $t (i32.const 0) (global.get $fg))
        (call_indirect $t (type $un) (i32.const 41) (i32.const 0)))
      (func (export "h") (result funcref) (ref.func $dbl))
      (func (export "k") (result i32) (table.init $t $passive (i32.const 0) (i32.const 0) (i32.const 2)) (elem.drop $passive)
        (call_indirect $t (type $un) (i32.const 8) (i32.const 1))))`,
    (e) => [e.f(5), e.f(-3), e.g(), e.h()(21), e.k()], () => ({ env: { log: () => {} } }));
  });

  it('tail calls run in constant stack', async () => {
    await same(`(module
      (type $t (func (param i32 i64) (result i64)))
      (table 1 funcref) (elem (i32.const 0) $odd)
      (func $even (type $t) (if (result i64) (i32.eqz (local.get 0)) (then (local.get 1))
        (else (return_call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i64.add (local.get 1) (i64.const 2)) (i32.const 0)))))
      (func $odd (type $t) (if (result i64) (i32.eqz (local.get 0)) (then (local.get 1))
        (else (return_call $even (i32.sub (local.get 0) (i32.const 1)) (i64.add (local.get 1) (i64.const 1))))))
      (func (export "f") (param i32) (result i64) (return_call $even (local.get 0) (i64.const 0))))`,
    (e) => e.f(1_000_000));
  });

  it('the start function is exported as __ari_start and sees shifted indices', async () => {
    const { metered } = await same(`(module
      (import "env" "log" (func $log (param i32)))
      (global $g (mut i32) (i32.const 0))
      (func $init (global.set $g (call $seven)) (call $log (global.get $g)))
      (func $seven (result i32) (i32.const 7))
      (start $init)
      (func (export "get") (result i32) (global.get $g)))`, (e) => e.get(), () => ({ env: { log: () => {} } }));
    expect(metered.exports.get()).toBe(7);
    expect(typeof metered.exports.__ari_start).toBe('function');
  });

  it('handles modules without functions, memory or types', async () => {
    for (const source of ['(module)', '(module (memory 1))', '(module (global i32 (i32.const 1)))']) {
      const run = runMetered(await wat(source));
      expect(run.host.consumed()).toBe(0);
    }
  });

  it('branches out of metered loops land on the right labels', async () => {
    await same(`(module
      (func (export "f") (param $n i32) (result i32) (local $i i32) (local $s i32)
        (block $out (result i32)
          (loop $outer
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (block $skip
              (loop $inner
                (br_if $skip (i32.gt_u (local.get $s) (i32.const 1000)))
                (local.set $s (i32.add (local.get $s) (local.get $i)))
                (br_if $out (i32.const 1000000) (i32.eq (local.get $s) (i32.const 45)))
                (br_table $inner $skip $inner (i32.and (local.get $s) (i32.const 3)))))
            (br_if $outer (i32.lt_u (local.get $i) (local.get $n)))
            (if (i32.eq (local.get $n) (i32.const 99)) (then (return (i32.const -1)))))
          (i32.const 0))
        (i32.add (local.get $s))))`,
    (e) => [1, 2, 3, 10, 99, 500].map((n) => e.f(n)));
  });
});
