import { DockerRuntime } from '../src/runtimes/docker/docker-runtime.ts';
import { readFileSync } from 'node:fs';
const manifest = JSON.parse(readFileSync('/work/main/fixtures/agents/math/manifest.json', 'utf8'));
const rt = new DockerRuntime({ daemonId: 'smoke' });
let t = performance.now();
await rt.start();
console.log('start', Math.round(performance.now() - t), await rt.health());
const agent = { id: 'math-docker', runtime: 'docker', manifest, limits: {}, env: {}, image: 'ari-fixtures/math:1', baseDir: '/tmp', pool: 2 } as any;
await rt.prepare(agent);
const limits = { timeoutMs: 5000, memoryBytes: 64 << 20, cpuMillis: 5000, fuel: 0, pids: 32, outputBytes: 1 << 20 };
for (let i = 0; i < 6; i++) {
  t = performance.now();
  const r = await rt.execute(agent, { taskId: 't' + i, agentId: 'math-docker', capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] }, limits }, new AbortController().signal);
  console.log(Math.round(performance.now() - t), JSON.stringify(r));
  await new Promise((r) => setTimeout(r, 300));
}
const h = { ...agent, id: 'hostile', image: 'ari-fixtures/hostile:1', pool: 0 };
for (const [mode, extra] of [['sleep', {}], ['memory', { mb: 200 }], ['flood', {}], ['spin', {}], ['log', {}], ['exit', {}]] as const) {
  t = performance.now();
  const r = await rt.execute(h, { taskId: 'h-' + mode, agentId: 'hostile', capability: 'run', input: { mode, ...extra }, limits: { ...limits, timeoutMs: 1000, cpuMillis: mode === 'spin' ? 300 : 5000 } }, new AbortController().signal, { onLog: (l) => console.log('  log:', l) });
  console.log(mode, Math.round(performance.now() - t), JSON.stringify(r));
}
await rt.close();
