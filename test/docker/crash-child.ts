// Child process for the crash test: starts a runtime with a pool, runs a long task, and waits to be SIGKILLed.
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { hostileAgent, hostileTask, LIMITS, never } from './docker-harness.js';

const rt = new DockerRuntime({ daemonId: process.argv[2], agentLimits: () => LIMITS });
await rt.start();
const agent = hostileAgent({ pool: 1 });
await rt.prepare(agent);
await rt.pool(agent.id)!.filled();
void rt.execute(agent, hostileTask('sleep', { seconds: 120 }, { timeoutMs: 120_000 }), never());
process.stdout.write('running\n');
setInterval(() => {}, 1000);
