// Child process for the egress sweep test: a runtime with a network task running, waiting to be SIGKILLed.
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { testProxy } from '../egress/egress-grant.js';
import { hostileAgent, hostileTask, never } from './docker-harness.js';

const rt = new DockerRuntime({ daemonId: process.argv[2] });
await rt.start();
const agent = hostileAgent({ network: { allow: ['127.0.0.1:9'] } });
await rt.prepare(agent);
const task = hostileTask('sleep', { seconds: 120 }, { timeoutMs: 120_000 });
const g = testProxy().grant(task.taskId, ['127.0.0.1:9']);
void rt.execute(agent, task, never(), { egress: g.grant });
await g.opened;
process.stdout.write('running\n');
setInterval(() => {}, 1000);
