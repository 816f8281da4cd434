import { WasmRuntime } from '../src/runtimes/wasm/wasm-runtime.js';
import { agentFor, taskFor } from '../test/runtime-wasm/wat.js';
const rt = new WasmRuntime({ workers: 2, maxMemoryBytes: 256 * 1024 * 1024 });
await rt.start();
for (const f of ['fixtures/agents/math/math.wasm', 'fixtures/agents/math/math-wasi.wasm', 'fixtures/agents/components/math-command.wasm','fixtures/agents/components/math-task.wasm']) {
  const a = agentFor(f, f);
  await rt.prepare(a);
  const times: number[] = []; const inner: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t1 = performance.now();
    const r = await rt.execute(a, { ...taskFor(a, { operation: 'multiply', operands: [7, 6] }), capability: 'arithmetic' }, new AbortController().signal);
    times.push(performance.now() - t1); inner.push(r.usage.wallMs);
    if (r.status !== 'COMPLETED') console.log(r);
  }
  const p50 = (x: number[]) => x.slice(50).sort((a, b) => a - b)[Math.floor((x.length - 50) / 2)];
  console.log(f, 'p50 total', p50(times).toFixed(3), 'inner', p50(inner).toFixed(3));
}
await rt.close();
