import { readFileSync } from 'node:fs';
import { loadComponent } from '../src/runtimes/wasm/component-loader.js';
import { ComponentWasi } from '../src/runtimes/wasm/component-wasi.js';
import { ComponentFuelMeter } from '../src/runtimes/wasm/component-fuel-meter.js';
import { agentFor } from '../test/runtime-wasm/wat.js';
const f = 'fixtures/agents/components/math-command.wasm';
const loaded = await loadComponent(agentFor('x', f), readFileSync(f), 1 << 28);
const { instantiate } = await import(loaded.module.glueUrl);
const doc = JSON.stringify({ task_id: 't', capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] } });
const cancel = new Int32Array(new SharedArrayBuffer(4));
const acc = { shim: 0, imports: 0, inst: 0, run: 0, core: 0 };
const N = 500;
for (let i = 0; i < N + 100; i++) {
  const t0 = performance.now();
  const w = new ComponentWasi({ agentId: 'x', env: {}, stdin: doc, outputBytes: 1 << 20, log: () => {} });
  const t1 = performance.now();
  const imports = w.imports();
  const t2 = performance.now();
  const meter = new ComponentFuelMeter(1e9, Date.now() + 10000, cancel);
  let coreT = 0;
  const api = instantiate((n: string) => loaded.module.cores[n], imports, (m: WebAssembly.Module, imp: any) => {
    const c = meter.counter(); const a = performance.now();
    const inst = new WebAssembly.Instance(m, { ...imp, __ari: { out_of_fuel: c.outOfFuel } });
    coreT += performance.now() - a;
    c.bind(inst.exports.__ari_fuel as any); (inst.exports.__ari_mem_max_pages as any).value = 1000; (inst.exports.__ari_start as any)?.(); return inst; });
  const t3 = performance.now();
  api.run.run();
  const t4 = performance.now();
  if (i >= 100) { acc.shim += t1 - t0; acc.imports += t2 - t1; acc.inst += t3 - t2; acc.run += t4 - t3; acc.core += coreT; }
  if (i === 0) console.log(w.stdout.toString());
}
for (const [k, v] of Object.entries(acc)) console.log(k, (v / N).toFixed(3), 'ms');
