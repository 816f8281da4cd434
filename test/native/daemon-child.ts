// A daemon-like process for the kill test: starts a NativeRuntime and runs long sandboxed tasks until it is SIGKILLed.
import { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { HOSTILE, LIMITS } from './native-helpers.js';

const [start, count] = process.argv.slice(2).map(Number);
const rt = new NativeRuntime({ uidRange: [start, count] });
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
process.stdout.write('started\n');
setInterval(() => {}, 1000);
