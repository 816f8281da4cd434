// Socket families inside a container (issue 15): vsock (ignores network namespaces: on a VM host it reaches the
// hypervisor and other guests), netlink-route (configures the host's network) and packet sockets are refused by
// the shared syscall policy's Docker profile; AF_UNIX stays usable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { drained, hostileAgent, hostileTask, never, requireEngine } from './docker-harness.js';

const DAEMON = `test-sock-${process.pid}`;
const EPERM = 1;
let rt: DockerRuntime;
const hostile = hostileAgent();

beforeAll(async () => {
  await requireEngine();
  rt = new DockerRuntime({ daemonId: DAEMON });
  await rt.start();
  await rt.prepare(hostile);
});
afterAll(async () => {
  await rt?.close();
  expect(await drained(DAEMON)).toEqual([]);
});

describe('socket families in a container', () => {
  it('refuses vsock, netlink-route and packet sockets (EPERM from the profile), allows AF_UNIX', async () => {
    const r = await rt.execute(hostile, hostileTask('sockets'), never());
    expect(r.status, JSON.stringify(r)).toBe('COMPLETED');
    expect(r.output).toEqual({ mode: 'sockets', vsock: EPERM, netlink_route: EPERM, packet: EPERM, unix: 0 });
  });
});
