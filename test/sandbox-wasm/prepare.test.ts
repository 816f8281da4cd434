// Preparation cost is linear in module size, and a configured preparation time limit refuses a module at load.
import { describe, expect, it } from 'vitest';
import { InstrumentError, instrumentModule } from '../../src/sandbox/wasm/instrument.js';
import { bigFunctionModule } from './big-function.js';
import { FuelHost, OPTS } from './harness.js';

describe('preparation time', () => {
  it('instruments a 1.3 MB function of deep nesting × wide br_tables in well under the old 6 s', () => {
    const bytes = bigFunctionModule();
    expect(bytes.length).toBeGreaterThan(1_200_000);
    const start = performance.now();
    const out = instrumentModule(bytes, OPTS);
    const ms = performance.now() - start;
    // Sanity bound for a loaded 2-core host (measured ~150–250 ms; it was 3–6 s when quadratic).
    expect(ms).toBeLessThan(3000);
    const host = new FuelHost(1e9);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(out.bytes), { __ari: { out_of_fuel: host.outOfFuel } });
    host.attach(inst);
    (inst.exports.f as () => void)();
    expect(host.consumed()).toBeGreaterThan(0);
  });

  it('grows linearly: four times the labels take nowhere near sixteen times as long', () => {
    const small = bigFunctionModule(1500, 100, 250);
    const large = bigFunctionModule(1500, 100, 1000);
    const once = (bytes: Uint8Array) => {
      const t = performance.now();
      instrumentModule(bytes, OPTS);
      return performance.now() - t;
    };
    once(small); // warm up
    // Interleaved rounds, best of each: a loaded host slows some rounds, and the best of seven
    // is the one it left alone, for both sizes alike. Linear is ~4×, quadratic ~16×.
    let bestSmall = Infinity;
    let bestLarge = Infinity;
    for (let i = 0; i < 7; i++) {
      bestSmall = Math.min(bestSmall, once(small));
      bestLarge = Math.min(bestLarge, once(large));
    }
    expect(bestLarge / bestSmall).toBeLessThan(10);
  });

  it('refuses a module whose preparation takes longer than maxPrepareMillis, saying so', () => {
    const bytes = bigFunctionModule();
    expect(() => instrumentModule(bytes, { ...OPTS, maxPrepareMillis: 1 })).toThrow(InstrumentError);
    expect(() => instrumentModule(bytes, { ...OPTS, maxPrepareMillis: 1 })).toThrow(/^preparation took longer than 1 ms \(\d+ ms, while (validating|instrumenting function 0)\)/);
    expect(() => instrumentModule(bytes, { ...OPTS, maxPrepareMillis: 60_000 })).not.toThrow();
  });
});
