// The worker-side task runner against hand-instrumented modules that follow the instrumenter's contract
// (__ari.out_of_fuel import, __ari_fuel / __ari_mem_max_pages / __ari_oom exports), in-process.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTask } from '../../src/runtimes/wasm/worker/task-runner.js';
import type { RunRequest } from '../../src/runtimes/wasm/shared/worker-protocol.js';
import { LIMITS, watFile } from './wat.js';

/** A seed module whose loop costs 3 fuel units per iteration, checked like the instrumenter does. */
const metered = (iterations: number) => `(module
  (import "__ari" "out_of_fuel" (func $oof))
  (global $fuel (export "__ari_fuel") (mut i64) (i64.const 0))
  (global (export "__ari_mem_max_pages") (mut i32) (i32.const 0))
  (global (export "__ari_oom") (mut i32) (i32.const 0))
  (memory (export "memory") 1)
  (data (i32.const 0) "\\0c\\00\\00\\00{\\"output\\":1}")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "execute_task") (param $p i32) (param $n i32) (result i32) (local $i i32)
    (loop $l
      (global.set $fuel (i64.sub (global.get $fuel) (i64.const 3)))
      (if (i64.lt_s (global.get $fuel) (i64.const 0)) (then (call $oof)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.or (i32.eqz (i32.const ${iterations})) (i32.lt_u (local.get $i) (i32.const ${iterations})))))
    (i32.const 0)))`;

async function compile(wat: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(readFileSync(await watFile('metered', wat)));
}

function request(limits: Partial<RunRequest['limits']> = {}): RunRequest {
  const l = { ...LIMITS, ...limits };
  return { type: 'run', jobId: 1, moduleKey: 'k', abi: 'seed', footprintBytes: 0, agentId: 'a', env: {}, document: '{}', limits: l, deadline: Date.now() + l.timeoutMs };
}

const noCancel = new Int32Array(new SharedArrayBuffer(4));

describe('task runner fuel accounting', () => {
  it('counts exactly the fuel used by a finished run, across slices', async () => {
    const mod = await compile(metered(1_000_000));
    const a = runTask(mod, request(), { cancel: noCancel }, () => {});
    const b = runTask(mod, request(), { cancel: noCancel }, () => {});
    expect(a.status).toBe('COMPLETED');
    expect(a.usage.fuelConsumed).toBe(3_000_000);
    expect(b.usage.fuelConsumed).toBe(3_000_000);
  });

  it('reports OUT_OF_FUEL with exactly the budget', async () => {
    const r = runTask(await compile(metered(0)), request({ fuel: 2_500_001 }), { cancel: noCancel }, () => {});
    expect(r.status).toBe('OUT_OF_FUEL');
    expect(r.usage.fuelConsumed).toBe(2_500_001);
  });

  it('stops an endless loop at the deadline between slices (precision: ari conformance)', async () => {
    const mod = await compile(metered(0));
    const started = Date.now();
    const r = runTask(mod, request({ timeoutMs: 100, fuel: 1e15 }), { cancel: noCancel }, () => {});
    expect(r.status).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1100);
  });

  it('stops an endless loop at its CPU budget (CPU_LIMIT from the thread clock)', async () => {
    const mod = await compile(metered(0));
    const r = runTask(mod, request({ timeoutMs: 5000, cpuMillis: 100, fuel: 1e15 }), { cancel: noCancel }, () => {});
    expect(r.status).toBe('CPU_LIMIT');
    expect(r.usage.cpuMs).toBeGreaterThanOrEqual(100);
    expect(r.usage.cpuMs).toBeLessThan(1100);
  });

  it('stops at the next slice when the cancel flag is set', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    flag[0] = 1;
    const r = runTask(await compile(metered(0)), request({ fuel: 1e15 }), { cancel: flag }, () => {});
    expect(r.status).toBe('CANCELLED');
  });
});
