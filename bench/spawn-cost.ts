// How long starting a child holds the calling thread, by the caller's resident memory: libuv's spawn() forks (the
// page tables are copied) and waits for the child's exec, all on the event loop; the native runtime's spawn helper
// (src/runtimes/native/spawner.ts) forks in its own small process instead. `node --import tsx bench/spawn-cost.ts`
import { execFileSync, spawn } from 'node:child_process';
import { pino } from 'pino';
import { Spawner } from '../src/runtimes/native/spawner.js';

const ROUNDS = 20;
const MiB = 2 ** 20;
const spawner = new Spawner(execFileSync('sh', ['-c', 'command -v setpriv']).toString().trim(), pino({ level: 'silent' }));

/** p50 and max of how long one start holds this thread, and p50 of start → exit seen. */
async function timed(start: () => Promise<void>): Promise<{ p50: number; max: number; e2e: number }> {
  const block: number[] = [];
  const e2e: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const s = performance.now();
    const exited = start().then(() => e2e.push(performance.now() - s));
    block.push(performance.now() - s);
    await exited;
  }
  const p = (xs: number[], q: number) => xs.sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
  return { p50: p(block, 0.5), max: p(block, 1), e2e: p(e2e, 0.5) };
}

const direct = () => new Promise<void>((r) => spawn('/bin/true').on('exit', () => r()));
const helper = async () => { await spawner.spawn('/bin/true', [], new Uint8Array()).ended; };

const rows: string[] = [
  '| caller | RSS MiB | spawn() blocks p50 ms | max | start→exit p50 ms | helper blocks p50 ms | max | start→exit p50 ms |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
const row = async (label: string) => {
  const d = await timed(direct);
  const h = await timed(helper);
  const f = (x: number) => x.toFixed(2);
  rows.push(`| ${label} | ${(process.memoryUsage().rss / MiB).toFixed(0)} | ${f(d.p50)} | ${f(d.max)} | ${f(d.e2e)} | ${f(h.p50)} | ${f(h.max)} | ${f(h.e2e)} |`);
};
spawner.warm();
await helper(); // the helper's own start is once per daemon, not per sandbox
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
spawner.close();
