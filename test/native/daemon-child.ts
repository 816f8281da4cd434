// A daemon-like process for the kill test: starts a NativeRuntime with a filled sandbox pool and runs long sandboxed tasks until it is SIGKILLed.
import { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { HOSTILE, LIMITS, MATH } from './native-helpers.js';

const [start, count] = process.argv.slice(2).map(Number);
const rt = new NativeRuntime({ uidRange: [start, count], agentLimits: () => LIMITS });
await rt.start();
const h = await rt.health();
if (!h.available) {
  process.stdout.write(`unavailable ${h.reason}\n`);
  process.exit(1);
}
const limits = { ...LIMITS, timeoutMs: 120_000, cpuMillis: 120_000 };
const inputs = [{ mode: 'sleep', seconds: 120 }, { mode: 'detach' }, { mode: 'spin' }];
inputs.forEach((input, i) => {
  void rt.execute(HOSTILE, { taskId: `victim-${i}`, agentId: HOSTILE.id, capability: 'run', input, limits }, new AbortController().signal);
});
// pre-started sandboxes idle on stdin must die with the daemon like running ones
const pooled = { ...MATH, id: 'math-pooled', pool: 2 };
await rt.prepare(pooled);
await rt.pool(pooled.id)!.filled();
process.stdout.write('started\n');
setInterval(() => {}, 1000);
