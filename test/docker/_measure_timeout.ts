import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { hostileAgent, hostileTask, never, requireEngine } from './docker-harness.js';
await requireEngine();
const rt = new DockerRuntime({ daemonId: `measure-${process.pid}` });
await rt.start();
const a = hostileAgent();
await rt.prepare(a);
const over: number[] = [];
for (let i = 0; i < 8; i++) {
  const t0 = performance.now();
  const r = await rt.execute(a, hostileTask('sleep', { seconds: 60 }, { timeoutMs: 1000 }), never());
  over.push(Math.round(performance.now() - t0 - 1000));
  if (r.status !== 'TIMEOUT') console.log(r);
}
over.sort((x, y) => x - y);
console.log('overshoot ms', over.join(' '), 'median', over[4]);
await rt.close();
