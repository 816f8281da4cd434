import { DockerodeClient } from '../src/runtimes/docker/dockerode-client.ts';
import { containerSpec } from '../src/runtimes/docker/container-spec.ts';
import { TaskCgroup } from '../src/sandbox/docker/task-cgroup.ts';
const c = new DockerodeClient();
const useCg = process.argv[2] === 'cg';
for (let i = 0; i < 6; i++) {
  const cg = useCg ? new TaskCgroup('phase-' + i + '-' + process.pid) : undefined;
  const spec = containerSpec({ image: 'ari-fixtures/math:1', env: {}, limits: { memoryBytes: 64 << 20, pids: 32 }, daemonId: 'x', taskId: 't', agentId: 'a', cgroup: cg });
  const T = [performance.now()];
  const id = await c.create(spec); T.push(performance.now());
  const io = await c.attach(id); T.push(performance.now());
  const w = c.wait(id);
  await c.start(id); T.push(performance.now());
  let out = '';
  const drained = new Promise((r) => io.stdout.on('end', r));
  io.stdout.on('data', (b) => { out += b; });
  io.stdin.end('{"task_id":"t","capability":"arithmetic","input":{"operation":"add","operands":[1,2]}}\n');
  await drained; T.push(performance.now());
  await w; T.push(performance.now());
  await c.inspect(id); T.push(performance.now());
  await c.remove(id); T.push(performance.now());
  cg?.remove();
  console.log(out.trim(), T.slice(1).map((t, j) => Math.round(t - T[j])).join(' '), 'total', Math.round(T.at(-1)! - T[0]));
}
