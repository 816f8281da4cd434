import { DockerodeClient } from '../../src/runtimes/docker/dockerode-client.js';
const c = new DockerodeClient();
const kill: number[] = [], remove: number[] = [], killThenRemove: number[] = [];
async function started(): Promise<{ id: string; exited: Promise<number> }> {
  const id = await c.create({ image: 'ari-fixtures/hostile:3', env: [], user: '65534:65534', labels: {}, hostConfig: { Memory: 64 << 20, MemorySwap: 64 << 20 } as never });
  const io = await c.attach(id);
  const { exited } = await c.watchExit(id);
  await c.start(id);
  io.stdin.end('{"input":{"mode":"sleep","seconds":60}}\n');
  await new Promise((r) => setTimeout(r, 200));
  return { id, exited };
}
for (let i = 0; i < 8; i++) {
  let s = await started();
  let t = performance.now();
  await c.remove(s.id);
  remove.push(Math.round(performance.now() - t));
  s = await started();
  t = performance.now();
  await c.kill(s.id);
  await Promise.race([s.exited, new Promise((r) => setTimeout(r, 200))]);
  kill.push(Math.round(performance.now() - t));
  const t2 = performance.now();
  await c.remove(s.id);
  killThenRemove.push(Math.round(performance.now() - t2));
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log('old path: remove(force) before answer, ms:', remove.join(' '), 'median', med(remove));
console.log('new path: kill+exit before answer, ms:', kill.join(' '), 'median', med(kill));
console.log('      then remove off the path, ms:', killThenRemove.join(' '), 'median', med(killThenRemove));
