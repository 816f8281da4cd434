// How long child_process.spawn() holds the calling thread, by the caller's resident memory: libuv forks (the page
// tables are copied) and waits for the child's exec, all on the event loop. `node --import tsx bench/spawn-cost.ts`
import { spawn } from 'node:child_process';

const ROUNDS = 20;
const MiB = 2 ** 20;

async function spawnMs(): Promise<{ p50: number; max: number }> {
  const ts: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const s = performance.now();
    const c = spawn('/bin/true');
    ts.push(performance.now() - s);
    await new Promise((r) => c.on('exit', r));
  }
  ts.sort((a, b) => a - b);
  return { p50: ts[ROUNDS >> 1]!, max: ts[ROUNDS - 1]! };
}

const rows: string[] = ['| caller | RSS MiB | spawn() blocks p50 ms | max ms |', '| --- | ---: | ---: | ---: |'];
const row = async (label: string) => {
  const r = await spawnMs();
  rows.push(`| ${label} | ${(process.memoryUsage().rss / MiB).toFixed(0)} | ${r.p50.toFixed(2)} | ${r.max.toFixed(2)} |`);
};
await row('bare node');
const keep: unknown[] = [];
for (let i = 0; i < 20; i++) {
  const m = new WebAssembly.Memory({ initial: 256, maximum: 65536 });
  new Uint8Array(m.buffer).fill(1);
  keep.push(m);
}
await row('+ 20 wasm memories (16 MiB touched each, 4 GiB reserved)');
for (let i = 0; i < 30; i++) keep.push(Buffer.alloc(10 * MiB, 1));
await row('+ 300 MiB of buffers');
console.log(rows.join('\n'));
