import { readFileSync } from 'node:fs';
import { loadComponent } from '../src/runtimes/wasm/component-loader.js';
import { agentFor } from '../test/runtime-wasm/wat.js';
import { threadCpuNs } from '../src/runtimes/wasm/thread-cpu.js';
const now = () => threadCpuNs()! / 1e6;
const f = 'fixtures/agents/components/math-command.wasm';
const loaded = await loadComponent(agentFor('x', f), readFileSync(f), 1 << 28);
const captured: any[] = [];
const { instantiate } = await import(loaded.module.glueUrl);
const { ComponentWasi } = await import('../src/runtimes/wasm/component-wasi.js');
const w = new ComponentWasi({ agentId: 'x', env: {}, stdin: '{}', outputBytes: 1 << 20, log: () => {} });
instantiate((n: string) => loaded.module.cores[n], w.imports(), (m: WebAssembly.Module, imp: any) => {
  const inst = new WebAssembly.Instance(m, { ...imp, __ari: { out_of_fuel: () => {} } }); captured.push([m, { ...imp, __ari: { out_of_fuel: () => {} } }]); return inst; });
for (const [i, [m, imp]] of captured.entries()) {
  for (let k = 0; k < 100; k++) new WebAssembly.Instance(m, imp);
  const t = now(); for (let k = 0; k < 500; k++) new WebAssembly.Instance(m, imp);
  console.log(i, WebAssembly.Module.imports(m).length, ((now() - t) / 500 * 1000).toFixed(1), 'us');
}
