import { readFileSync } from 'node:fs';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { instrumentModule } from '../src/sandbox/wasm/instrument.js';
import { glueUrl } from '../src/runtimes/wasm/component-glue.js';
import { ComponentFuelMeter } from '../src/runtimes/wasm/component-fuel-meter.js';
import { threadCpuNs } from '../src/runtimes/wasm/thread-cpu.js';
const now = () => threadCpuNs()! / 1e6;
const opts = { name: 'agent', instantiation: 'async', ...JSON.parse(process.env.JCO_OPTS ?? '{}') };
const f = process.env.F ?? 'fixtures/agents/components/math-command.wasm';
let r;
try { r = await transpileBytes(readFileSync(f), opts); } catch (e) { console.log(JSON.stringify(opts), 'transpile failed', (e as Error).message.slice(0, 200)); process.exit(0); }
const cores: Record<string, WebAssembly.Module> = {};
for (const [n, b] of Object.entries(r.files)) if (n.endsWith('.wasm')) cores[n] = new WebAssembly.Module(instrumentModule(b, { maxMemoryBytes: 1 << 28, allowImport: () => true }).bytes);
const glue = Buffer.from(r.files['agent.js']).toString();
const { instantiate } = await import(glueUrl(glue));
const { ComponentWasi } = await import('../src/runtimes/wasm/component-wasi.js');
const doc = JSON.stringify({ task_id: 't', capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] } });
const cancel = new Int32Array(new SharedArrayBuffer(4));
let inst = 0, run = 0; const N = 500; let out = '';
for (let i = 0; i < N + 100; i++) {
  const t0 = now();
  const w = new ComponentWasi({ agentId: 'x', env: {}, stdin: doc, outputBytes: 1 << 20, log: () => {} });
  const meter = new ComponentFuelMeter(1e9, Date.now() + 10000, cancel);
  const api = instantiate((n: string) => cores[n], w.imports(), (m: WebAssembly.Module, imp: any) => {
    const c = meter.counter();
    const x = new WebAssembly.Instance(m, { ...imp, __ari: { out_of_fuel: c.outOfFuel } });
    c.bind(x.exports.__ari_fuel as any); (x.exports.__ari_mem_max_pages as any).value = 1000; (x.exports.__ari_start as any)?.(); return x; });
  const t1 = now();
  if (api.executeTask) out = api.executeTask(doc); else { api.run.run(); out = w.stdout.toString(); }
  const t2 = now();
  if (i >= 100) { inst += t1 - t0; run += t2 - t1; }
}
console.log(JSON.stringify(opts), 'glue KB', (glue.length / 1024).toFixed(0), 'inst', (inst / N).toFixed(3), 'run', (run / N).toFixed(3), out.trim());
