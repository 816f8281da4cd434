// The egress proxy against real local upstreams: allowed traffic answers with exact byte counts; every refusal is logged and reaches nothing.
import { lookup } from 'node:dns/promises';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EgressRecord } from '../../src/egress/audit-log.js';
import { EgressProxy, type EgressEndpoint } from '../../src/egress/egress-proxy.js';
import { parseAllowList } from '../../src/egress/policy.js';
import { curl, httpViaProxy, httpsViaProxy, proxyConnect, settled, startHttpUpstream, startHttpsUpstream, testPki, type Upstream } from './egress-harness.js';

let http: Upstream;
let https: Upstream;
let daemon: { server: Server; port: number; connections: number };
let unlisted: { server: Server; port: number; connections: number };
let proxy: EgressProxy;
let ep: EgressEndpoint;
const denials: EgressRecord[] = [];
const TASK = 'task-egress-1';

async function countingServer(): Promise<{ server: Server; port: number; connections: number }> {
  const c = { server: createServer((s) => { c.connections++; s.destroy(); }), port: 0, connections: 0 };
  c.server.listen(0, '127.0.0.1');
  await once(c.server, 'listening');
  c.port = (c.server.address() as AddressInfo).port;
  return c;
}

beforeAll(async () => {
  [http, https, daemon, unlisted] = await Promise.all([startHttpUpstream(), startHttpsUpstream(), countingServer(), countingServer()]);
  proxy = new EgressProxy({
    ownListeners: [{ host: '127.0.0.1', port: daemon.port }],
    // One name with a metadata address, so the link-local refusal is exercised without touching /etc/hosts.
    lookup: async (host) => (host === 'metadata.test' ? [{ address: '169.254.169.254', family: 4 }] : lookup(host, { all: true })),
    onEgress: (_t, r) => denials.push(r),
  });
  ep = await proxy.openSession(TASK, parseAllowList([
    `127.0.0.1:${http.port}`, `127.0.0.1:${https.port}`, `localhost:${unlisted.port}`, 'metadata.test:80', `127.0.0.1:${daemon.port}`,
  ]));
});

afterAll(async () => {
  await proxy.closeSession(TASK);
  await Promise.all([http.close(), https.close()]);
  daemon.server.close();
  unlisted.server.close();
});

function recordsSince(seq: number): EgressRecord[] {
  return proxy.log(TASK)!.records.filter((r) => r.seq > seq);
}
const lastSeq = () => proxy.log(TASK)!.records.at(-1)?.seq ?? 0;

/** Runs `f` and checks that the proxy's per-connection byte counts equal what the upstream read and wrote. */
async function exactBytes(u: Upstream, f: () => Promise<void>): Promise<EgressRecord[]> {
  await settled(u);
  const before = { in: u.bytesIn, out: u.bytesOut, conns: u.connections, seq: lastSeq() };
  await f();
  await settled(u);
  const recs = recordsSince(before.seq);
  expect(recs.every((r) => r.decision === 'allowed')).toBe(true);
  expect(u.connections - before.conns).toBe(recs.length);
  expect(recs.reduce((n, r) => n + r.bytesUp, 0)).toBe(u.bytesIn - before.in);
  expect(recs.reduce((n, r) => n + r.bytesDown, 0)).toBe(u.bytesOut - before.out);
  return recs;
}

describe('allowed destinations (IP literals on the list)', () => {
  it('forwards plain HTTP from a Node client, counting exactly the bytes each way', async () => {
    const body = Buffer.alloc(10_000, 0x62);
    const recs = await exactBytes(http, async () => {
      const hello = await httpViaProxy(ep.port, `http://127.0.0.1:${http.port}/hello`);
      expect(hello.status).toBe(200);
      expect(hello.body.toString()).toBe(`hello 127.0.0.1:${http.port}\n`);
      const echo = await httpViaProxy(ep.port, `http://127.0.0.1:${http.port}/echo`, body);
      expect(echo.body.equals(body)).toBe(true);
    });
    expect(recs.map((r) => [r.kind, r.address, r.entry])).toEqual([
      ['http', '127.0.0.1', `127.0.0.1:${http.port}`], ['http', '127.0.0.1', `127.0.0.1:${http.port}`]]);
    expect(recs[1]!.bytesUp).toBeGreaterThan(10_000);
  });

  it('tunnels HTTPS from a Node TLS client through CONNECT', async () => {
    await exactBytes(https, async () => {
      const r = await httpsViaProxy(ep.port, `127.0.0.1:${https.port}`, '/hello');
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe(`hello 127.0.0.1:${https.port}\n`);
    });
  });

  it('works unchanged for curl -x, plain HTTP and HTTPS', async () => {
    await exactBytes(http, async () => {
      const r = await curl(['-x', ep.url, `http://127.0.0.1:${http.port}/hello`]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`hello 127.0.0.1:${http.port}\n`);
    });
    await exactBytes(https, async () => {
      const r = await curl(['-x', ep.url, '--cacert', testPki().ca, `https://127.0.0.1:${https.port}/hello`]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`hello 127.0.0.1:${https.port}\n`);
    });
  });
});

describe('refused destinations', () => {
  async function refusedConnect(authority: string, reason: string, detail: RegExp): Promise<void> {
    const seq = lastSeq();
    const r = await proxyConnect(ep.port, authority);
    expect(r.status, r.head).toBe(reason === 'bad_request' ? 400 : 403);
    expect(r.head).toContain(`X-Ari-Egress-Reason: ${reason}`);
    r.socket.destroy();
    const [rec] = recordsSince(seq);
    expect(rec).toMatchObject({ decision: 'denied', reason, kind: 'connect' });
    expect(rec!.detail).toMatch(detail);
    expect(denials.at(-1)?.seq).toBe(rec!.seq);
  }

  it('refuses each forbidden destination with its reason, and nothing reaches any listener', async () => {
    const before = [http.connections, https.connections, daemon.connections, unlisted.connections];
    await refusedConnect('api.example.com:443', 'not_allowlisted', /api.example.com:443 is not on the allow list/);
    await refusedConnect(`127.0.0.1:${unlisted.port}`, 'not_allowlisted', /is not on the allow list/);
    await refusedConnect(`127.0.0.2:${http.port}`, 'not_allowlisted', /127.0.0.2/);
    await refusedConnect(`[::ffff:127.0.0.2]:${http.port}`, 'not_allowlisted', /127.0.0.2/);
    await refusedConnect(`localhost:${unlisted.port}`, 'refused_address', /127.0.0.1 is loopback/);
    await refusedConnect('169.254.169.254:80', 'not_allowlisted', /169.254.169.254:80/);
    await refusedConnect('metadata.test:80', 'refused_address', /169.254.169.254 is link-local/);
    await refusedConnect(`127.0.0.1:${daemon.port}`, 'own_listener', /daemon's own listeners/);
    await refusedConnect(`127.0.0.1:${ep.port}`, 'not_allowlisted', /not on the allow list/);
    await refusedConnect('2130706433:80', 'bad_request', /looks numeric/);
    expect([http.connections, https.connections, daemon.connections, unlisted.connections]).toEqual(before);
  });

  it('refuses a plain HTTP request to an unlisted host, and an origin-form request', async () => {
    const r = await httpViaProxy(ep.port, `http://127.0.0.1:${unlisted.port}/x`);
    expect(r).toMatchObject({ status: 403, reason: 'not_allowlisted' });
    const seq = lastSeq();
    const bad = await proxyConnect(ep.port, 'x').catch(() => undefined);
    bad?.socket.destroy();
    expect(recordsSince(seq)[0]).toMatchObject({ decision: 'denied', reason: 'bad_request' });
    expect(unlisted.connections).toBe(0);
  });

  it('closes a CONNECT tunnel whose TLS SNI names another host, before dialing', async () => {
    const before = https.connections;
    const seq = lastSeq();
    const t = await proxyConnect(ep.port, `127.0.0.1:${https.port}`);
    expect(t.status).toBe(200);
    const tls = tlsConnect({ socket: t.socket, servername: 'evil.example.com', ca: readFileSync(testPki().ca) });
    const err = await new Promise<Error>((resolve) => tls.once('error', resolve));
    expect(err.message).toMatch(/socket disconnected|ECONNRESET/);
    const [rec] = recordsSince(seq);
    expect(rec).toMatchObject({ decision: 'denied', reason: 'sni_mismatch', address: '127.0.0.1' });
    expect(rec!.detail).toContain('evil.example.com');
    expect(https.connections).toBe(before);
  });

  it('keeps plain-number counters for metrics', () => {
    const c = proxy.counters();
    const log = proxy.log(TASK)!.records;
    expect(c.connections.allowed).toBe(log.filter((r) => r.decision === 'allowed').length);
    expect(c.connections.denied).toBe(log.filter((r) => r.decision === 'denied').length);
    expect(c.bytes.up).toBe(log.reduce((n, r) => n + r.bytesUp, 0));
    expect(c.bytes.down).toBe(log.reduce((n, r) => n + r.bytesDown, 0));
    expect(proxy.usage(TASK)).toMatchObject({ egressConnections: c.connections.allowed, egressBytes: c.bytes.up + c.bytes.down });
  });
});
