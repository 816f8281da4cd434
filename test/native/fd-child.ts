// A daemon-like process for the inherited-descriptor test: started with extra descriptors, it runs the probe agent cold and pooled and prints what each saw.
import { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { agent, CONTAIN_BIN, LIMITS } from './native-helpers.js';

const [start, count, ...fds] = process.argv.slice(2).map(Number);
const rt = new NativeRuntime({ uidRange: [start, count], agentLimits: () => LIMITS });
await rt.start();
const h = await rt.health();
if (!h.available) {
  process.stdout.write(`${JSON.stringify({ unavailable: h.reason })}\n`);
  process.exit(1);
}
const cold = agent('contain', CONTAIN_BIN);
const pooled = { ...agent('contain-pooled', CONTAIN_BIN), pool: 1 };
await rt.prepare(pooled);
await rt.pool(pooled.id)!.filled();
const seen: Record<string, unknown> = {};
for (const a of [cold, pooled]) {
  for (const fd of fds) {
    const r = await rt.execute(a, { taskId: `${a.id}-${fd}`, agentId: a.id, capability: 'run', input: { mode: 'fds', probe: fd }, limits: LIMITS }, new AbortController().signal);
    seen[`${a.id}:${fd}`] = r.status === 'COMPLETED' ? r.output : r;
    if (a === pooled) await rt.pool(pooled.id)!.filled();
  }
}
await rt.close();
process.stdout.write(`${JSON.stringify(seen)}\n`);
