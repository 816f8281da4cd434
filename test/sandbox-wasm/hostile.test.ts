// The hostile fixtures of fixtures/agents/wasm-hostile, run under the instrumenter: stopped by fuel per byte, refused, or capped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BYTES_PER_FUEL_SHIFT } from '../../src/sandbox/wasm/costs.js';
import { instrumentModule } from '../../src/sandbox/wasm/instrument.js';
import { FuelHost, OPTS, OutOfFuel, runMetered } from './harness.js';

const MiB = 1 << 20;
const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, '../../fixtures/agents/wasm-hostile', `${name}.wasm`)));
/** The manifest's memory requirement. */
const AGENT = { ...OPTS, maxMemoryBytes: 16 * MiB };

/** Runs execute_task on an empty task; returns the error it ended with (or undefined) and how long it took. */
function execute(name: string, host: FuelHost) {
  const run = runMetered(fixture(name), {}, host, AGENT);
  const start = performance.now();
  try {
    run.exports.execute_task(run.exports.alloc(2), 2);
    return { run, error: undefined, ms: performance.now() - start };
  } catch (error) {
    return { run, error, ms: performance.now() - start };
  }
}

describe('hostile fixtures', () => {
  for (const name of ['bulk-fill-loop', 'bulk-copy-loop', 'bulk-unrolled']) {
    it(`${name}: a loop of large bulk operations runs out of fuel promptly, having paid for the bytes`, () => {
      const budget = 50_000_000; // ~800 MB of fills at 16 bytes per fuel
      const { run, error, ms } = execute(name, new FuelHost(budget, 1_000_000));
      expect(error).toBeInstanceOf(OutOfFuel);
      expect(run.host.consumed()).toBeGreaterThan(budget);
      // Charged before each chunk runs: at most one 1 MiB chunk past the budget.
      expect(run.host.consumed()).toBeLessThanOrEqual(budget + (MiB >> BYTES_PER_FUEL_SHIFT) + 1000);
      expect(ms).toBeLessThan(5000);
    });
  }

  it('straight-line: 20,000 if segments end OUT_OF_FUEL under fuel 100, and complete with enough fuel', () => {
    expect(execute('straight-line', new FuelHost(100, 100)).error).toBeInstanceOf(OutOfFuel);
    const { run, error } = execute('straight-line', new FuelHost(1e9));
    expect(error).toBeUndefined();
    expect(run.host.consumed()).toBeGreaterThan(40_000);
  });

  it('table-bomb: refused at load, naming the tables, without allocating them', () => {
    const rss = process.memoryUsage().rss;
    expect(() => instrumentModule(fixture('table-bomb'), AGENT)).toThrow(/module declares \d+ bytes before it runs \(memories 65536, 1000 tables \d+.*above memory_bytes 16777216/);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * MiB);
  });

  it('table-grow-bomb: table growth stops at the memory cap with __ari_oom set', () => {
    const rss = process.memoryUsage().rss;
    const { run, error } = execute('table-grow-bomb', new FuelHost(1e9));
    expect(error).toBeInstanceOf(WebAssembly.RuntimeError);
    expect((run.exports.__ari_oom as WebAssembly.Global).value).toBe(1);
    const memory = (run.exports.memory as WebAssembly.Memory).buffer.byteLength;
    expect(memory + Number((run.exports.__ari_extra_bytes as WebAssembly.Global).value)).toBeLessThanOrEqual(16 * MiB);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * MiB);
  });
});
