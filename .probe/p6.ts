import { WasmRuntime } from '../src/runtimes/wasm/wasm-runtime.js';
import { agentFor, taskFor } from '../test/runtime-wasm/wat.js';
const rt = new WasmRuntime({ workers: 2, maxMemoryBytes: 64 * 1024 * 1024 });
await rt.start();
for (const f of ['fixtures/agents/components/math-command.wasm', 'fixtures/agents/components/math-task.wasm', 'test/runtime-wasm/.err-task.component.wasm']) {
  const a = agentFor(f, f); await rt.prepare(a);
  const out = [];
  for (let i = 0; i < 8; i++) { const r = await rt.execute(a, { ...taskFor(a, { operation: 'multiply', operands: [7, 6] }), capability: 'arithmetic' }, new AbortController().signal); out.push(r.usage.fuelConsumed + (r.status === 'COMPLETED' ? '' : ' ' + JSON.stringify(r.error))); }
  console.log(f, out.join(' | '));
}
await rt.close();
