import { readFileSync } from 'node:fs';
import { threadCpuNs } from '../src/runtimes/wasm/thread-cpu.js';
const now = () => threadCpuNs()! / 1e6;
import { loadComponent } from '../src/runtimes/wasm/component-loader.js';
import { ComponentWasi } from '../src/runtimes/wasm/component-wasi.js';
import { ComponentFuelMeter } from '../src/runtimes/wasm/component-fuel-meter.js';
import { agentFor } from '../test/runtime-wasm/wat.js';
const f = 'fixtures/agents/components/math-command.wasm';
const loaded = await loadComponent(agentFor('x', f), readFileSync(f), 1 << 28);
const src0 = Buffer.from(loaded.module.glueUrl.split(',')[1], 'base64').toString();
const src = process.env.SHADOW ? 'const __noJspi = new TypeError("JSPI unavailable"); const WebAssembly = Object.assign(Object.create(globalThis.WebAssembly), { promising() { throw __noJspi; } });\n' + src0 : process.env.NOGEN ? src0.replace(/\byield (?=instantiateCore|module\d)/g, '').replace('let gen= (function* _initGenerator () {', 'let gen= (function _initGenerator () {').replace('const maybeSyncReturn = runNext(null);\nreturn promise || maybeSyncReturn;', 'return gen;') : src0;
console.log('changed', src !== src0, (src0.match(/yield /g)||[]).length, (src.match(/yield /g)||[]).length);
const { instantiate } = await import(process.env.PATCHED ? loaded.module.glueUrl : 'data:text/javascript;base64,' + Buffer.from(src).toString('base64'));
const doc = JSON.stringify({ task_id: 't', capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] } });
const cancel = new Int32Array(new SharedArrayBuffer(4));
const acc = { shim: 0, imports: 0, inst: 0, run: 0, core: 0, start: 0 };
const N = 500;
for (let i = 0; i < N + 100; i++) {
  const t0 = now();
  const w = new ComponentWasi({ agentId: 'x', env: {}, stdin: doc, outputBytes: 1 << 20, log: () => {} });
  const t1 = now();
  const imports = w.imports();
  const t2 = now();
  const meter = new ComponentFuelMeter(1e9, Date.now() + 10000, cancel);
  let coreT = 0; let startT = 0;
  const api = instantiate((n: string) => loaded.module.cores[n], imports, (m: WebAssembly.Module, imp: any) => {
    const c = meter.counter(); const a = now();
    const inst = new WebAssembly.Instance(m, { ...imp, __ari: { out_of_fuel: c.outOfFuel } });
    coreT += now() - a;
    c.bind(inst.exports.__ari_fuel as any); (inst.exports.__ari_mem_max_pages as any).value = 1000; const b = now(); (inst.exports.__ari_start as any)?.(); startT += now() - b; return inst; });
  const t3 = now();
  api.run.run();
  const t4 = now();
  if (i >= 100) { acc.shim += t1 - t0; acc.imports += t2 - t1; acc.inst += t3 - t2; acc.run += t4 - t3; acc.core += coreT; acc.start += startT; }
  if (i === 0) console.log(w.stdout.toString());
}
for (const [k, v] of Object.entries(acc)) console.log(k, (v / N).toFixed(3), 'ms');
