// The MathAgent fixture (a compiler-built module) behaves the same instrumented, with the same fuel every run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FuelHost, runMetered, runPlain } from './harness.js';

const MATH = new Uint8Array(readFileSync(join(import.meta.dirname, '../../fixtures/agents/math/math.wasm')));
const TASKS = [
  { capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] } },
  { capability: 'arithmetic', input: { operation: 'divide', operands: [1, 0] } },
  { capability: 'statistics', input: { operation: 'stddev', values: [2, 4, 4, 4, 5, 5, 7, 9] } },
  { capability: 'statistics', input: { operation: 'median', values: [3.5, -1, 1e10, 0.25, 7] } },
];

/** Runs one task through the seed ABI and returns the result document. */
function execute(e: Record<string, any>, task: unknown): string {
  const doc = new TextEncoder().encode(JSON.stringify({ task_id: 't', ...(task as object) }));
  const ptr = e.alloc(doc.length) >>> 0;
  new Uint8Array((e.memory as WebAssembly.Memory).buffer).set(doc, ptr);
  const r = e.execute_task(ptr, doc.length) >>> 0;
  const view = new DataView((e.memory as WebAssembly.Memory).buffer);
  return new TextDecoder().decode(new Uint8Array(view.buffer, r + 4, view.getUint32(r, true)));
}

const env = () => ({ env: { log: () => {}, time: () => 0n } });

describe('MathAgent fixture', () => {
  it('answers identically and consumes the same fuel on every run, whatever the slice size', () => {
    for (const task of TASKS) {
      const expected = execute(runPlain(MATH, env()), task);
      const fuel = [1e12, 1e12, 5000, 1].map((slice) => {
        const run = runMetered(MATH, env(), new FuelHost(1e12, slice));
        expect(execute(run.exports, task)).toBe(expected);
        return run.host.consumed();
      });
      expect(new Set(fuel).size, `${JSON.stringify(task)}: ${fuel.join(', ')}`).toBe(1);
      expect(fuel[0]).toBeGreaterThan(100);
    }
  });
});
