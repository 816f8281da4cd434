import { DockerRuntime } from '../src/runtimes/docker/docker-runtime.ts';
import { readFileSync } from 'node:fs';
const manifest = JSON.parse(readFileSync('fixtures/agents/math/manifest.json', 'utf8'));
const limits = { timeoutMs: 5000, memoryBytes: 64 << 20, cpuMillis: 5000, fuel: 0, pids: 32, outputBytes: 1 << 20 };
const rt = new DockerRuntime({ daemonId: 'pool', agentLimits: () => limits });
await rt.start();
const agent = { id: 'math-docker', runtime: 'docker', manifest, limits: {}, env: {}, image: 'ari-fixtures/math:1', baseDir: '/tmp', pool: Number(process.argv[2] ?? 2) } as any;
await rt.prepare(agent);
const wait = process.argv[3] !== 'nowait';
for (let i = 0; i < 8; i++) {
  if (wait) await rt.pool('math-docker')!.filled();
  const t = performance.now();
  const r = await rt.execute(agent, { taskId: 't' + i, agentId: 'math-docker', capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] }, limits }, new AbortController().signal);
  console.log(Math.round(performance.now() - t), r.status);
}
await rt.close();
