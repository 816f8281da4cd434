// Fuel overhead benchmark: compute kernels run plain and instrumented (huge budget) side by side.
import wabtInit from 'wabt';
import { instrumentModule } from '../src/sandbox/wasm/instrument.js';

interface Kernel {
  name: string;
  wat: string;
  /** Calls the kernel once; returns a checksum so plain and metered runs can be compared. */
  run: (exports: Record<string, any>) => number;
}

const KERNELS: Kernel[] = [
  {
    name: 'fib (recursive calls)',
    wat: `(module (func $fib (export "fib") (param $n i32) (result i32)
      (if (result i32) (i32.lt_u (local.get $n) (i32.const 2)) (then (local.get $n))
        (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2))))))))`,
    run: (e) => e.fib(30),
  },
  {
    name: 'loop arithmetic (xorshift)',
    wat: `(module (func (export "mix") (param $n i32) (result i64) (local $x i64) (local $acc i64)
      (local.set $x (i64.const 88172645463325252))
      (loop $l
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
        (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
        (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
        (local.set $acc (i64.add (local.get $acc) (i64.rem_u (local.get $x) (i64.const 1000))))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.get $acc)))`,
    run: (e) => Number(e.mix(20_000_000)),
  },
  {
    name: 'matrix multiply (f64, 160×160)',
    wat: `(module (memory 10)
      (func (export "matmul") (param $n i32) (result f64) (local $i i32) (local $j i32) (local $k i32) (local $s f64) (local $c i32) (local $t f64)
        ;; A at 0, B at n*n*8, C at 2*n*n*8
        (local.set $i (i32.const 0))
        (loop $fill
          (f64.store (i32.shl (local.get $i) (i32.const 3)) (f64.convert_i32_s (i32.rem_u (local.get $i) (i32.const 17))))
          (br_if $fill (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.mul (i32.const 2) (i32.mul (local.get $n) (local.get $n))))))
        (local.set $c (i32.mul (i32.const 16) (i32.mul (local.get $n) (local.get $n))))
        (local.set $i (i32.const 0))
        (loop $li (local.set $j (i32.const 0))
          (loop $lj (local.set $k (i32.const 0)) (local.set $s (f64.const 0))
            (loop $lk
              (local.set $s (f64.add (local.get $s) (f64.mul
                (f64.load (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k)) (i32.const 3)))
                (f64.load (i32.add (i32.shl (i32.mul (local.get $n) (local.get $n)) (i32.const 3))
                  (i32.shl (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j)) (i32.const 3)))))))
              (br_if $lk (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n))))
            (f64.store (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3))) (local.get $s))
            (local.set $t (f64.add (local.get $t) (local.get $s)))
            (br_if $lj (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $n))))
          (br_if $li (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
        (local.get $t)))`,
    run: (e) => e.matmul(160),
  },
  {
    name: 'SIMD sum (i32x4)',
    wat: `(module (memory 2)
      (func (export "simd") (param $reps i32) (result i32) (local $i i32) (local $acc v128)
        (loop $fill (i32.store (local.get $i) (local.get $i))
          (br_if $fill (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (i32.const 65536))))
        (loop $rep (local.set $i (i32.const 0))
          (loop $l
            (local.set $acc (i32x4.add (local.get $acc) (v128.load (local.get $i))))
            (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (i32.const 65536))))
          (br_if $rep (local.tee $reps (i32.sub (local.get $reps) (i32.const 1)))))
        (i32.add (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                 (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc))))))`,
    run: (e) => e.simd(6000),
  },
  {
    name: 'insertion sort (memory)',
    wat: `(module (memory 1)
      (func (export "sort") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $v i32) (local $x i32)
        (local.set $x (i32.const 12345))
        (loop $fill
          (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
          (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.shr_u (local.get $x) (i32.const 8)))
          (br_if $fill (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
        (local.set $i (i32.const 1))
        (loop $outer
          (local.set $v (i32.load (i32.shl (local.get $i) (i32.const 2))))
          (local.set $j (local.get $i))
          (block $done
            (loop $inner
              (br_if $done (i32.eqz (local.get $j)))
              (br_if $done (i32.le_u (i32.load (i32.sub (i32.shl (local.get $j) (i32.const 2)) (i32.const 4))) (local.get $v)))
              (i32.store (i32.shl (local.get $j) (i32.const 2)) (i32.load (i32.sub (i32.shl (local.get $j) (i32.const 2)) (i32.const 4))))
              (local.set $j (i32.sub (local.get $j) (i32.const 1)))
              (br $inner)))
          (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $v))
          (br_if $outer (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
        (i32.load (i32.const 4000))))`,
    run: (e) => e.sort(8000),
  },
];

const FEATURES = { simd: true, bulk_memory: true, sign_extension: true, multi_value: true };

/** Best-of-N times, alternating the two runs so load on the machine hits both alike. */
function timePair(a: () => number, b: () => number, rounds: number): { a: number; b: number; checkA: number; checkB: number } {
  const best = { a: Infinity, b: Infinity, checkA: 0, checkB: 0 };
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    best.checkA = a();
    best.a = Math.min(best.a, performance.now() - t);
    t = performance.now();
    best.checkB = b();
    best.b = Math.min(best.b, performance.now() - t);
  }
  return best;
}

export async function runFuelBench(rounds = 15): Promise<{ kernel: string; plainMs: number; meteredMs: number; ratio: number }[]> {
  const wabt = await wabtInit();
  const rows = [];
  for (const k of KERNELS) {
    const mod = wabt.parseWat(`${k.name}.wat`, k.wat, FEATURES);
    const bytes = new Uint8Array(mod.toBinary({}).buffer);
    mod.destroy();
    const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<string, any>;
    const out = instrumentModule(bytes, { maxMemoryBytes: 64 << 20, allowImport: () => false });
    const refuel = { out_of_fuel: () => void ((metered.__ari_fuel as WebAssembly.Global).value = 1n << 60n) };
    const metered = new WebAssembly.Instance(new WebAssembly.Module(out.bytes), { __ari: refuel }).exports as Record<string, any>;
    (metered.__ari_fuel as WebAssembly.Global).value = 1n << 60n;
    // Interleave warm-up so both reach the optimising tier before timing.
    for (let i = 0; i < 5; i++) { k.run(plain); k.run(metered); }
    const t = timePair(() => k.run(plain), () => k.run(metered), rounds);
    if (t.checkA !== t.checkB) throw new Error(`${k.name}: metered result ${t.checkB} differs from plain ${t.checkA}`);
    rows.push({ kernel: k.name, plainMs: t.a, meteredMs: t.b, ratio: t.b / t.a });
  }
  return rows;
}

export function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await runFuelBench();
  for (const r of rows) console.log(`${r.kernel.padEnd(32)} plain ${r.plainMs.toFixed(2)} ms  metered ${r.meteredMs.toFixed(2)} ms  ×${r.ratio.toFixed(3)}`);
  console.log(`geomean ×${geomean(rows.map((r) => r.ratio)).toFixed(3)}`);
}

/** The `npm run bench` section: each kernel plain vs instrumented, best of alternating rounds. */
export async function fuelSection(): Promise<import('./run.js').BenchSection> {
  const rows = await runFuelBench();
  return {
    title: 'Fuel instrumentation overhead (compute kernels, instrumented vs plain)',
    headers: ['kernel', 'plain ms', 'metered ms', 'ratio'],
    rows: [
      ...rows.map((r) => [r.kernel, r.plainMs.toFixed(2), r.meteredMs.toFixed(2), r.ratio.toFixed(3)]),
      ['**geometric mean**', '', '', `**${geomean(rows.map((r) => r.ratio)).toFixed(3)}**`],
    ],
    notes: ['target: geometric mean ≤ 1.25×; fuel = 1 per operator (block/loop/else/end/nop free), charged per basic block'],
  };
}
