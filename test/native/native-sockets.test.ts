// Socket families in a real sandbox: only AF_UNIX opens; vsock, netlink (route), packet and inet are refused by the seccomp policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { agent, CONTAIN_BIN, run, startRuntime } from './native-helpers.js';

const UIDS: [number, number] = [2_100_008, 4]; // this file's share of the helper range 2_100_000+64
const CONTAIN = agent('contain', CONTAIN_BIN);
let rt: NativeRuntime;
beforeAll(async () => { rt = await startRuntime({ uidRange: UIDS }); });
afterAll(async () => { await rt?.close(); });

describe('native socket families', () => {
  it('opens AF_UNIX and refuses vsock, netlink-route, packet, inet, inet6 and a TIPC socketpair with EPERM', async () => {
    const r = await run(rt, CONTAIN, 'run', { mode: 'sockets' });
    expect(r.status, r.error?.message).toBe('COMPLETED');
    expect(r.output).toEqual({ unix: 0, inet: 1, inet6: 1, netlink_route: 1, packet: 1, vsock: 1, pair_unix: 0, pair_tipc: 1 });
  });
});
