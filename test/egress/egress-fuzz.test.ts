// Random bytes at the proxy — as a request head, and as a tunnel's first bytes — never crash it or leak past the policy.
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EGRESS_LOG_CAP } from '../../src/egress/audit-log.js';
import { EgressProxy, type EgressEndpoint } from '../../src/egress/egress-proxy.js';
import { parseAllowList } from '../../src/egress/policy.js';
import { httpViaProxy, proxyConnect, settled, startHttpUpstream, type Upstream } from './egress-harness.js';

let up: Upstream;
let ep: EgressEndpoint;
const proxy = new EgressProxy({ timeouts: { headMs: 300, helloMs: 300, firstByteMs: 50, connectMs: 2000 } });

beforeAll(async () => {
  up = await startHttpUpstream();
  ep = await proxy.openSession('fuzz', parseAllowList([`127.0.0.1:${up.port}`]));
});
afterAll(async () => { await proxy.closeSession('fuzz'); await up.close(); });

/** Writes `parts` in separate writes and half-closes, then waits for the proxy to close (or 1 s, then gives up on it). */
function blast(socket: Socket, parts: Uint8Array[]): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.resume(); // proxyConnect hands the tunnel over paused
    const t = setTimeout(() => { socket.destroy(); resolve(); }, 1000);
    socket.once('close', () => { clearTimeout(t); resolve(); });
    for (const p of parts) socket.write(p);
    socket.end();
  });
}

const junk = fc.array(fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom('CONNECT ', 'GET http://', '127.0.0.1:', ' HTTP/1.1\r\n', '\r\n\r\n', 'Host: x\r\n', '[::1]', '\x16\x03\x01', ':0', '@', '%00')
    .map((s) => Buffer.from(s, 'latin1')),
), { maxLength: 12 });

describe('proxy under random input', () => {
  it('survives random request heads and still serves a valid request', async () => {
    await fc.assert(fc.asyncProperty(junk, async (parts) => {
      const s = connect(ep.port, '127.0.0.1');
      await blast(s, parts);
    }), { numRuns: 300 });
    const ok = await httpViaProxy(ep.port, `http://127.0.0.1:${up.port}/hello`);
    expect(ok.status).toBe(200);
  });

  it('survives random tunnel prefixes (including fake ClientHellos) after CONNECT', async () => {
    await fc.assert(fc.asyncProperty(junk, fc.boolean(), async (parts, tls) => {
      const t = await proxyConnect(ep.port, `127.0.0.1:${up.port}`);
      expect(t.status).toBe(200);
      await blast(t.socket, tls ? [Buffer.from([0x16, 0x03, 0x01]), ...parts] : parts);
    }), { numRuns: 200 });
    await settled(up);
    // Every connection the upstream saw was one the proxy admitted (the log is capped by now; usage is not).
    expect(proxy.usage('fuzz')!.egressConnections).toBe(up.connections);
    const log = proxy.log('fuzz')!;
    expect(log.records.length).toBe(EGRESS_LOG_CAP);
    expect(log.dropped).toBeGreaterThan(0);
    const ok = await httpViaProxy(ep.port, `http://127.0.0.1:${up.port}/hello`);
    expect(ok.status).toBe(200);
  });
});
