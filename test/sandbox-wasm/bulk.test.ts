// Sized operators cost what they do: fuel per byte or element, charged and tested before the work runs.
import { describe, expect, it } from 'vitest';
import { BULK_CHUNK_BYTES, BYTES_PER_FUEL_SHIFT, FUEL_PER_PAGE, FUEL_PER_TABLE_ELEMENT } from '../../src/sandbox/wasm/costs.js';
import { FuelHost, OPTS, OutOfFuel, runMetered, runPlain, wat } from './harness.js';

const MiB = 1 << 20;
const BIG = { ...OPTS, maxMemoryBytes: 64 * MiB, maxTableEntries: 1_000_000 };
const BULK = `(module (memory (export "memory") 128 1024)
  (data $d "0123456789abcdef0123456789abcdef")
  (func (export "fill") (param $d i32) (param $n i32) (memory.fill (local.get $d) (i32.const 7) (local.get $n)))
  (func (export "copy") (param $d i32) (param $s i32) (param $n i32) (memory.copy (local.get $d) (local.get $s) (local.get $n)))
  (func (export "init") (param $d i32) (param $n i32) (memory.init $d (local.get $d) (i32.const 0) (local.get $n)))
  (func (export "grow") (param $n i32) (result i32) (memory.grow (local.get $n)))
  (func (export "fills") (param $n i32) (param $times i32)
    (loop $l (memory.fill (i32.const 0) (local.get $times) (local.get $n))
      (br_if $l (local.tee $times (i32.sub (local.get $times) (i32.const 1)))))))`;

/** Fuel of one call on a fresh instance, with a huge budget. */
async function fuelOf(call: (e: Record<string, any>) => unknown): Promise<number> {
  const run = runMetered(await wat(BULK), {}, new FuelHost(), BIG);
  const before = run.host.consumed();
  call(run.exports);
  return run.host.consumed() - before;
}

const bytesFuel = (n: number) => Math.floor(n / 2 ** BYTES_PER_FUEL_SHIFT);

describe('sized memory operators', () => {
  it('charge one fuel per 16 bytes on top of their operators, in one piece or in chunks', async () => {
    for (const n of [0, 15, 16, 1000, BULK_CHUNK_BYTES, BULK_CHUNK_BYTES + 17, 5 * MiB + 3]) {
      expect(await fuelOf((e) => e.fill(0, n)), `fill ${n}`).toBe(4 + bytesFuel(n));
      expect(await fuelOf((e) => e.copy(0, 2 * MiB, n)), `copy ${n}`).toBe(4 + bytesFuel(n));
    }
    expect(await fuelOf((e) => e.init(100, 32))).toBe(4 + 2);
    expect(await fuelOf((e) => e.grow(16))).toBe(2 + 16 * FUEL_PER_PAGE);
    // A refused grow does no work and costs only its operators.
    expect(await fuelOf((e) => e.grow(100_000))).toBe(2);
  });

  it('copies overlapping ranges both ways exactly like the engine, across chunk boundaries', async () => {
    const bytes = await wat(BULK);
    for (const [d, s, n] of [[1000, 0, 3 * MiB + 5], [0, 1000, 3 * MiB + 5], [17, 16, 2 * MiB], [5, 5, 2 * MiB + 1]]) {
      const plain = runPlain(bytes);
      const metered = runMetered(bytes, {}, new FuelHost(), BIG).exports;
      for (const e of [plain, metered]) {
        const mem = new Uint8Array((e.memory as WebAssembly.Memory).buffer);
        for (let i = 0; i < 4 * MiB; i++) mem[i] = (i * 31 + (i >> 9)) & 0xff;
        e.copy(d, s, n);
      }
      expect(Buffer.compare(new Uint8Array(plain.memory.buffer), new Uint8Array(metered.memory.buffer)), `copy ${d} ${s} ${n}`).toBe(0);
    }
  });

  it('an out-of-bounds chunked fill or copy traps before writing anything', async () => {
    const { exports: e } = runMetered(await wat(BULK), {}, new FuelHost(), BIG);
    const mem = new Uint8Array((e.memory as WebAssembly.Memory).buffer);
    expect(() => e.fill(0, 8 * MiB + 1)).toThrow(WebAssembly.RuntimeError);
    expect(() => e.copy(0, 6 * MiB, 2 * MiB + 1)).toThrow(WebAssembly.RuntimeError);
    expect(mem.subarray(0, 8 * MiB).every((b) => b === 0)).toBe(true);
  });

  it('a fill the budget cannot pay for traps OUT_OF_FUEL before it writes', async () => {
    for (const n of [64 * 1024, 8 * MiB]) {
      const run = runMetered(await wat(BULK), {}, new FuelHost(1000, 1000), BIG);
      expect(() => run.exports.fill(0, n)).toThrow(OutOfFuel);
      expect(new Uint8Array((run.exports.memory as WebAssembly.Memory).buffer)[0]).toBe(0);
    }
  });

  it('a loop of large fills reaches the host before every chunk that overruns its slice, not once per fill', async () => {
    const slice = 10_000;
    const run = runMetered(await wat(BULK), {}, new FuelHost(1e12, slice), BIG);
    run.exports.fills(4 * MiB, 20);
    const fuel = run.host.consumed();
    expect(fuel).toBeGreaterThan(20 * bytesFuel(4 * MiB));
    // Each 1 MiB chunk costs more than the slice, so the host is asked before each one runs.
    expect(run.host.calls).toBeGreaterThanOrEqual(20 * ((4 * MiB) / BULK_CHUNK_BYTES));
  });
});

describe('sized table operators', () => {
  const TABLES = `(module (table $t (export "t") 10 externref) (table $f 10 funcref) (elem $e func $a $a $a $a) (func $a)
    (func (export "fill") (param $n i32) (table.fill $t (i32.const 0) (ref.null extern) (local.get $n)))
    (func (export "copy") (param $n i32) (table.copy $t $t (i32.const 0) (i32.const 1) (local.get $n)))
    (func (export "init") (param $n i32) (table.init $f $e (i32.const 0) (i32.const 0) (local.get $n)))
    (func (export "grow") (param $n i32) (result i32) (table.grow $t (ref.null extern) (local.get $n))))`;

  it('charge per element before they run', async () => {
    const bytes = await wat(TABLES);
    const fuel = (call: (e: Record<string, any>) => unknown) => {
      const run = runMetered(bytes, {}, new FuelHost(), BIG);
      call(run.exports);
      return run.host.consumed();
    };
    expect(fuel((e) => e.fill(10))).toBe(4 + 10 * FUEL_PER_TABLE_ELEMENT);
    expect(fuel((e) => e.copy(9))).toBe(4 + 9 * FUEL_PER_TABLE_ELEMENT);
    expect(fuel((e) => e.init(4))).toBe(4 + 4 * FUEL_PER_TABLE_ELEMENT);
    expect(fuel((e) => e.grow(1000))).toBe(3 + 1000 * FUEL_PER_TABLE_ELEMENT);
    const poor = runMetered(bytes, {}, new FuelHost(50, 50), BIG);
    expect(() => poor.exports.grow(100_000)).toThrow(OutOfFuel);
  });
});
