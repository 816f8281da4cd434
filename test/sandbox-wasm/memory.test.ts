// Memory and table bounds: clamped maxima, guarded memory.grow, the host-adjustable page cap.
import { describe, expect, it } from 'vitest';
import { instrumentModule } from '../../src/sandbox/wasm/instrument.js';
import { FuelHost, OPTS, runMetered, wat } from './harness.js';

const GROWER = `(module (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))`;
const opts = (pages: number) => ({ ...OPTS, maxMemoryBytes: pages * 65536 });

describe('memory bounds', () => {
  it('memory.grow past the cap returns -1 and sets __ari_oom', async () => {
    const run = runMetered(await wat(GROWER), {}, new FuelHost(), opts(4));
    const oom = run.exports.__ari_oom as WebAssembly.Global;
    expect((run.exports.__ari_mem_max_pages as WebAssembly.Global).value).toBe(4);
    expect(run.exports.grow(2)).toBe(1);
    expect(oom.value).toBe(0);
    expect(run.exports.grow(2)).toBe(-1);
    expect(oom.value).toBe(1);
    expect(run.exports.size()).toBe(3);
    expect(run.exports.grow(1)).toBe(3);
    expect(run.exports.grow(0x7fffffff)).toBe(-1);
    expect(run.exports.grow(-1)).toBe(-1);
  });

  it('the host can lower __ari_mem_max_pages per task', async () => {
    const run = runMetered(await wat(GROWER), {}, new FuelHost(), opts(16));
    (run.exports.__ari_mem_max_pages as WebAssembly.Global).value = 2;
    expect(run.exports.grow(1)).toBe(1);
    expect(run.exports.grow(1)).toBe(-1);
    expect((run.exports.__ari_oom as WebAssembly.Global).value).toBe(1);
  });

  it('clamps the declared maximum, so even a host-side grow cannot pass it', async () => {
    const run = runMetered(await wat(`(module (memory (export "memory") 1 1000))`), {}, new FuelHost(), opts(3));
    const memory = run.exports.memory as WebAssembly.Memory;
    memory.grow(2);
    expect(() => memory.grow(1)).toThrow(RangeError);
    const unbounded = runMetered(await wat(`(module (memory (export "memory") 1))`), {}, new FuelHost(), opts(2));
    expect(() => (unbounded.exports.memory as WebAssembly.Memory).grow(2)).toThrow(RangeError);
  });

  it('sets __ari_oom when the engine itself refuses to grow', async () => {
    const run = runMetered(await wat(`(module (memory 1 2) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`), {}, new FuelHost(), opts(8));
    (run.exports.__ari_mem_max_pages as WebAssembly.Global).value = 100; // above the declared max of 2
    expect(run.exports.grow(5)).toBe(-1);
    expect((run.exports.__ari_oom as WebAssembly.Global).value).toBe(1);
  });

  it('clamps imported memories and tables, and table maxima', async () => {
    const bytes = await wat(`(module (import "env" "mem" (memory 1)) (import "env" "tab" (table 1 funcref))
      (table (export "t") 1 funcref) (func (export "grow") (result i32) (table.grow (ref.null func) (i32.const 200000))))`);
    const out = instrumentModule(bytes, opts(2));
    const mod = new WebAssembly.Module(out.bytes);
    const host = new FuelHost();
    const tab = new WebAssembly.Table({ element: 'anyfunc', initial: 1, maximum: 10 });
    // A memory whose maximum is above the clamp no longer links.
    expect(() => new WebAssembly.Instance(mod, { env: { mem: new WebAssembly.Memory({ initial: 1, maximum: 5 }), tab }, __ari: { out_of_fuel: host.outOfFuel } })).toThrow(/memory/i);
    const inst = new WebAssembly.Instance(mod, { env: { mem: new WebAssembly.Memory({ initial: 1, maximum: 2 }), tab }, __ari: { out_of_fuel: host.outOfFuel } });
    host.attach(inst);
    expect((inst.exports.grow as () => number)()).toBe(-1);
    expect(() => (inst.exports.t as WebAssembly.Table).grow(100_000)).toThrow(RangeError);
    expect(() => instrumentModule(bytes, { ...opts(2), maxTableEntries: 0 })).toThrow(/table 0 initial size 1 entries is above the limit of 0 entries/);
  });
});
