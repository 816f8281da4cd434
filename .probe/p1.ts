import { WasmRuntime } from '../src/runtimes/wasm/wasm-runtime.js';
import { transpileCount } from '../src/runtimes/wasm/component-transpile.js';
import { agentFor, taskFor } from '../test/runtime-wasm/wat.js';
const rt = new WasmRuntime({ workers: 2, maxMemoryBytes: 256 * 1024 * 1024 });
await rt.start();
const C = 'fixtures/agents/components/';
for (const f of ['math-command','math-task','loop-command','loop-task','memory-bomb-command','stdout-flood-command','file-open-command','socket-probe-command']) {
  const a = agentFor(f, C + f + '.wasm');
  const t0 = performance.now();
  try { await rt.prepare(a); } catch (e) { console.log(f, 'PREPARE FAIL', (e as Error).message); continue; }
  const tp = performance.now() - t0;
  for (let i = 0; i < 2; i++) {
    const t1 = performance.now();
    const r = await rt.execute(a, { ...taskFor(a, { operation: 'multiply', operands: [7, 6] }, { timeoutMs: 1000, fuel: 5e8 }), capability: 'arithmetic' }, new AbortController().signal, { onLog: (l) => console.log('  log', l) });
    console.log(f, `prep ${tp.toFixed(0)}ms run ${(performance.now()-t1).toFixed(1)}ms`, r.status, JSON.stringify(r.output), JSON.stringify(r.error), JSON.stringify(r.usage));
  }
}
console.log('transpiles', transpileCount(), await rt.health());
await rt.close();
