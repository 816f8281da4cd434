import { DockerRuntime } from '../src/runtimes/docker/docker-runtime.ts';
import { hostileAgent, hostileTask, never } from '../test/docker/docker-harness.ts';
const rt = new DockerRuntime({ daemonId: 'to' });
await rt.start();
const a = hostileAgent();
for (let i = 0; i < 6; i++) {
  const t = performance.now();
  const r = await rt.execute(a, hostileTask('sleep', { seconds: 60 }, { timeoutMs: 1500 }), never());
  console.log(r.status, Math.round(performance.now() - t - 1500));
}
await rt.close();
