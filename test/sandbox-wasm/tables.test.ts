// Tables and globals count against the memory cap: refused at load when declared too big, bounded when grown.
import { describe, expect, it } from 'vitest';
import { EXTERNREF_ELEMENT_BYTES, FUNCREF_ELEMENT_BYTES, GLOBAL_BYTES } from '../../src/sandbox/wasm/costs.js';
import { InstrumentError, instrumentModule } from '../../src/sandbox/wasm/instrument.js';
import { FuelHost, OPTS, runMetered, wat } from './harness.js';

const MiB = 1 << 20;
const limit = (bytes: number) => ({ ...OPTS, maxMemoryBytes: bytes, maxTableEntries: 10_000_000 });

describe('table footprint', () => {
  it('refuses a table whose declared minimum alone is above memory_bytes, naming it', async () => {
    const bytes = await wat(`(module (table 1 funcref) (table 1 funcref) (table 1 funcref) (table 5000000 externref))`);
    expect(() => instrumentModule(bytes, limit(16 * MiB))).toThrow(InstrumentError);
    expect(() => instrumentModule(bytes, limit(16 * MiB))).toThrow(
      `table 3 declares 5000000 elements × ${EXTERNREF_ELEMENT_BYTES} bytes = ${5_000_000 * EXTERNREF_ELEMENT_BYTES} bytes, above memory_bytes ${16 * MiB}`);
  });

  it('refuses many tables that are each small but together above memory_bytes (a ~6 KB module asking for ~3 GB)', async () => {
    const tables = Array.from({ length: 1000 }, () => '(table 100000 funcref)').join(' ');
    const bytes = await wat(`(module ${tables})`);
    expect(bytes.length).toBeLessThan(8000);
    const rss = process.memoryUsage().rss;
    expect(() => instrumentModule(bytes, { ...OPTS, maxMemoryBytes: 16 * MiB })).toThrow(
      new RegExp(`module declares ${1000 * 100_000 * FUNCREF_ELEMENT_BYTES} bytes before it runs \\(memories 0, 1000 tables ${1000 * 100_000 * FUNCREF_ELEMENT_BYTES}; largest: table 0, 100000 elements, 0 globals 0\\), above memory_bytes ${16 * MiB}`));
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * MiB);
  });

  it('counts memories, tables and globals together, and reports the footprint', async () => {
    const src = (pages: number) => `(module (memory ${pages}) (table 1000 funcref) (global i32 (i32.const 0)) (global i64 (i64.const 0)))`;
    const extra = 1000 * FUNCREF_ELEMENT_BYTES + 2 * GLOBAL_BYTES;
    const out = instrumentModule(await wat(src(15)), limit(MiB));
    expect(out.footprint).toEqual({ memoryBytes: 15 * 65536, tableBytes: 1000 * FUNCREF_ELEMENT_BYTES, globalBytes: 2 * GLOBAL_BYTES, extraBytes: extra, totalBytes: 15 * 65536 + extra });
    const inst = runMetered(await wat(src(15)), {}, new FuelHost(), limit(MiB)).instance;
    expect((inst.exports.__ari_extra_bytes as WebAssembly.Global).value).toBe(BigInt(extra));
    const full = await wat(src(16));
    expect(() => instrumentModule(full, limit(MiB))).toThrow(/module declares \d+ bytes before it runs \(memories 1048576, 1 tables 32000/);
  });
});

describe('growth within the cap', () => {
  const GROW = `(module (memory (export "memory") 1) (table $t (export "t") 10 externref)
    (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.null extern) (local.get 0)))
    (func (export "mgrow") (param i32) (result i32) (memory.grow (local.get 0))))`;

  it('table.grow past the cap returns -1 and sets __ari_oom, and grown tables count against memory.grow', async () => {
    const run = runMetered(await wat(GROW), {}, new FuelHost(), limit(MiB));
    const e = run.exports;
    const oom = e.__ari_oom as WebAssembly.Global;
    const extra = e.__ari_extra_bytes as WebAssembly.Global;
    expect(e.tgrow(100_000)).toBe(10);
    expect(oom.value).toBe(0);
    expect(extra.value).toBe(BigInt(100_010 * EXTERNREF_ELEMENT_BYTES));
    // 64 KiB memory + 800,080 table bytes: 2 more pages would pass 1 MiB, 3 pages fit.
    expect(e.mgrow(4)).toBe(-1);
    expect(oom.value).toBe(1);
    oom.value = 0;
    expect(e.mgrow(2)).toBe(1);
    expect(e.tgrow(30_000)).toBe(-1);
    expect(oom.value).toBe(1);
    expect((e.t as WebAssembly.Table).length).toBe(100_010);
    expect(extra.value).toBe(BigInt(100_010 * EXTERNREF_ELEMENT_BYTES));
  });

  it('clamps declared table maxima to what fits in memory_bytes, so a host-side grow cannot pass it either', async () => {
    const run = runMetered(await wat(GROW), {}, new FuelHost(), limit(MiB));
    expect(() => (run.exports.t as WebAssembly.Table).grow(MiB / EXTERNREF_ELEMENT_BYTES)).toThrow(RangeError);
    const grown = runMetered(await wat(GROW), {}, new FuelHost(), limit(MiB));
    expect(grown.exports.tgrow(0xffffffff)).toBe(-1);
    expect((grown.exports.__ari_oom as WebAssembly.Global).value).toBe(1);
  });

  it('lowering __ari_mem_max_pages bounds table growth too', async () => {
    const run = runMetered(await wat(GROW), {}, new FuelHost(), limit(16 * MiB));
    (run.exports.__ari_mem_max_pages as WebAssembly.Global).value = 2;
    expect(run.exports.tgrow(8000)).toBe(10);
    expect(run.exports.tgrow(8000)).toBe(-1);
    expect((run.exports.__ari_oom as WebAssembly.Global).value).toBe(1);
  });
});
