import { DockerodeClient } from '../../src/runtimes/docker/dockerode-client.js';
import { TaskCgroup } from '../../src/sandbox/docker/task-cgroup.js';
const c = new DockerodeClient();
for (let i = 0; i < 1; i++) {
  const cg = new TaskCgroup(`measure-${process.pid}-${i}`);
  cg.create({ memoryBytes: 32 << 20, cpuFraction: 1 });
  const id = await c.create({ image: 'ari-fixtures/hostile:1', env: [], user: '65534:65534', labels: {}, hostConfig: { Memory: 33 << 20, MemorySwap: 33 << 20, CgroupParent: cg.parent } as never });
  const io = await c.attach(id);
  const { exited } = await c.watchExit(id);
  await c.start(id);
  io.stdin.end('{"input":{"mode":"memory","mb":512}}\n');
  await exited;
  const t0 = performance.now();
  let n = 0;
  while (!(await c.inspect(id)).oomKilled && n < 300) { n++; await new Promise((r) => setTimeout(r, 5)); }
  console.log('oomKilled after', Math.round(performance.now() - t0), 'ms, polls', n, 'failcnt', cg.limitHits());
  io.destroy();
  await c.remove(id);
  await new Promise((r) => setTimeout(r, 50));
  console.log(cg.parent);
}
