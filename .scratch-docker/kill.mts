import { DockerodeClient } from '../src/runtimes/docker/dockerode-client.ts';
import { containerSpec } from '../src/runtimes/docker/container-spec.ts';
import { ContainerSession } from '../src/runtimes/docker/container-session.ts';
import { TaskCgroup } from '../src/sandbox/docker/task-cgroup.ts';
const c = new DockerodeClient();
for (const how of ['remove', 'kill+remove', 'remove', 'kill+remove']) {
  const cg = new TaskCgroup('k-' + process.pid + how + Math.random());
  const spec = containerSpec({ image: 'ari-fixtures/hostile:1', env: {}, limits: { memoryBytes: 64 << 20, pids: 32 }, daemonId: 'x', taskId: 't', agentId: 'a', cgroup: cg });
  const s = await ContainerSession.open(c, spec, cg);
  s.sendTask('{"input":{"mode":"sleep","seconds":60}}');
  await new Promise((r) => setTimeout(r, 300));
  const t = performance.now();
  if (how === 'kill+remove') { const d = (c as any).docker.getContainer(s.id); await d.kill(); console.log(' kill', Math.round(performance.now() - t)); }
  await c.remove(s.id);
  console.log(how, Math.round(performance.now() - t));
  await s.dispose();
}
