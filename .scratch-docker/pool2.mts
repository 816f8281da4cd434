import { DockerodeClient } from '../src/runtimes/docker/dockerode-client.ts';
import { containerSpec } from '../src/runtimes/docker/container-spec.ts';
import { ContainerSession } from '../src/runtimes/docker/container-session.ts';
const c = new DockerodeClient();
const spec = containerSpec({ image: 'ari-fixtures/math:1', env: {}, limits: { memoryBytes: 64 << 20, pids: 32 }, daemonId: 'x', taskId: 't', agentId: 'a' });
for (let i = 0; i < 5; i++) {
  const s = await ContainerSession.open(c, spec);
  await new Promise((r) => setTimeout(r, 500));
  const T = [performance.now()];
  let out = '';
  s.bind((b) => { if (!out) T.push(performance.now()); out += b; }, () => {});
  s.sendTask('{"task_id":"t","capability":"arithmetic","input":{"operation":"add","operands":[1,2]}}');
  await s.exited; T.push(performance.now());
  await s.drained; T.push(performance.now());
  await c.inspect(s.id); T.push(performance.now());
  await s.dispose(); T.push(performance.now());
  console.log(out.trim(), 'firstout exited drained inspect dispose:', T.slice(1).map((t) => Math.round(t - T[0])).join(' '));
}
