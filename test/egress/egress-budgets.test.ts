// Budgets end a task's egress at the crossing (bytes, connections); sessions are attributed to their task alone.
import { request } from 'node:http';
import { existsSync, mkdtempSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressProxy } from '../../src/egress/egress-proxy.js';
import { parseAllowList } from '../../src/egress/policy.js';
import type { EgressLimit } from '../../src/egress/session.js';
import { httpViaProxy, proxyConnect, settled, startHttpUpstream, type Upstream } from './egress-harness.js';

let up: Upstream;
const limits: Array<{ taskId: string; which: EgressLimit; at: number }> = [];
const proxy = new EgressProxy({ onLimit: (taskId, which) => limits.push({ taskId, which, at: performance.now() }) });
const allow = () => parseAllowList([`127.0.0.1:${up.port}`]);

beforeAll(async () => { up = await startHttpUpstream(); });
afterAll(async () => { await proxy.close(); await up.close(); });

/** Resolves on 'close' (events.once would reject on the reset that precedes it). */
const closing = (s: Socket) => new Promise<void>((r) => s.once('close', () => r()));

/** Downloads through the proxy, returning body bytes received and when the connection ended. */
function download(proxyPort: number, path: string): Promise<{ received: number; endedAt: number; complete: boolean }> {
  return new Promise((resolve) => {
    let received = 0;
    const req = request({ host: '127.0.0.1', port: proxyPort, path: `http://127.0.0.1:${up.port}${path}`, agent: false }, (res) => {
      res.on('data', (c: Buffer) => { received += c.length; });
      res.on('error', () => undefined);
      res.on('close', () => resolve({ received, endedAt: performance.now(), complete: res.complete }));
    });
    req.on('error', () => resolve({ received, endedAt: performance.now(), complete: false }));
    req.end();
  });
}

describe('egress_bytes', () => {
  it('ends the connection mid-download at the crossing, forwarding exactly the budget', async () => {
    const LIMIT = 16384 * 5 + 5000;
    const ep = await proxy.openSession('bytes-task', allow(), { egressBytes: LIMIT });
    up.timeline.length = 0;
    const r = await download(ep.port, '/download?bytes=1048576&chunk=16384&gapMs=15');
    const hit = limits.find((l) => l.taskId === 'bytes-task');
    expect(hit?.which).toBe('egress_bytes');
    expect(r.complete).toBe(false);
    expect(r.received).toBeLessThan(LIMIT);
    const report = (await proxy.closeSession('bytes-task'))!;
    expect(report.ended).toBe('egress_bytes');
    expect(report.usage.egressBytes).toBe(LIMIT);
    expect(report.records[0]).toMatchObject({ decision: 'allowed', error: 'egress_bytes budget exceeded' });
    expect(report.records[0]!.bytesUp + report.records[0]!.bytesDown).toBe(LIMIT);
    // Crossing as the proxy saw it (onLimit) and as the upstream wrote it (the chunk carrying byte LIMIT).
    const bodyAtCrossing = LIMIT - report.records[0]!.bytesUp;
    const crossingWrite = up.timeline.find(([sent]) => sent >= bodyAtCrossing)![1];
    const fromProxy = r.endedAt - hit!.at;
    const fromUpstream = r.endedAt - crossingWrite;
    console.log(`egress_bytes reaction: onLimit→client close ${fromProxy.toFixed(2)} ms, upstream crossing write→client close ${fromUpstream.toFixed(2)} ms`);
    expect(fromProxy).toBeLessThan(200);
    expect(fromUpstream).toBeLessThan(200);
    await settled(up);
  });
});

describe('egress_connections', () => {
  it('refuses the connection beyond the budget, ends the open ones and reports the limit', async () => {
    const ep = await proxy.openSession('conn-task', allow(), { egressConnections: 2 });
    const before = up.connections;
    const tunnels = await Promise.all([1, 2].map(async () => {
      const t = await proxyConnect(ep.port, `127.0.0.1:${up.port}`);
      expect(t.status).toBe(200);
      t.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n'); // unfinished, so the tunnel stays open
      return t.socket;
    }));
    while (up.connections - before < 2) await new Promise((r) => setTimeout(r, 5));
    const closed = tunnels.map((s) => closing(s).then(() => performance.now()));
    const third = await proxyConnect(ep.port, `127.0.0.1:${up.port}`);
    expect(third.status).not.toBe(200);
    const hit = limits.find((l) => l.taskId === 'conn-task');
    expect(hit?.which).toBe('egress_connections');
    const reaction = Math.max(...(await Promise.all(closed))) - hit!.at;
    console.log(`egress_connections reaction: onLimit→open tunnels closed ${reaction.toFixed(2)} ms`);
    expect(reaction).toBeLessThan(200);
    const report = (await proxy.closeSession('conn-task'))!;
    expect(report.usage.egressConnections).toBe(2);
    expect(report.records.map((r) => r.reason)).toEqual(['allowlisted', 'allowlisted', 'budget_exhausted']);
    await settled(up);
    expect(up.connections - before).toBe(2);
  });
});

describe('attribution', () => {
  it('keeps two concurrent sessions apart: each sees only its own connections and bytes', async () => {
    const [a, b] = await Promise.all([proxy.openSession('task-a', allow()), proxy.openSession('task-b', allow())]);
    expect(a.port).not.toBe(b.port);
    await settled(up);
    const before = { in: up.bytesIn, out: up.bytesOut, conns: up.connections };
    const send = (port: number, n: number) => httpViaProxy(port, `http://127.0.0.1:${up.port}/echo`, Buffer.alloc(n, 0x63));
    // Sizes with equal digit counts per task, so response heads are the same length and the down-byte gaps are the body gaps.
    const replies = await Promise.all([send(a.port, 1000), send(b.port, 20_000), send(a.port, 3000), send(b.port, 50_000), send(a.port, 7000)]);
    expect(replies.map((r) => r.body.length)).toEqual([1000, 20_000, 3000, 50_000, 7000]);
    await settled(up);
    const ra = (await proxy.closeSession('task-a'))!;
    const rb = (await proxy.closeSession('task-b'))!;
    expect(ra.records.every((r) => r.taskId === 'task-a')).toBe(true);
    expect(rb.records.every((r) => r.taskId === 'task-b')).toBe(true);
    expect([ra.usage.egressConnections, rb.usage.egressConnections]).toEqual([3, 2]);
    const bodyDown = (r: typeof ra) => r.records.map((x) => x.bytesDown).sort((p, q) => p - q);
    expect([bodyDown(ra)[1]! - bodyDown(ra)[0]!, bodyDown(ra)[2]! - bodyDown(ra)[0]!]).toEqual([2000, 6000]);
    expect(bodyDown(rb)[1]! - bodyDown(rb)[0]!).toBe(30_000);
    expect(ra.usage.bytesUp + rb.usage.bytesUp).toBe(up.bytesIn - before.in);
    expect(ra.usage.bytesDown + rb.usage.bytesDown).toBe(up.bytesOut - before.out);
    expect(up.connections - before.conns).toBe(5);
  });

  it('attributes connections on the optional unix socket endpoint to the same task', async () => {
    const socketPath = join(mkdtempSync(join(tmpdir(), 'ari-egress-')), 'proxy.sock');
    const ep = await proxy.openSession('unix-task', allow(), {}, { socketPath });
    expect(ep.socketPath).toBe(socketPath);
    const s = connect(socketPath);
    s.end(`GET http://127.0.0.1:${up.port}/hello HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n\r\n`);
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(c));
    await closing(s);
    expect(Buffer.concat(parts).toString()).toMatch(/^HTTP\/1\.1 200[\s\S]*hello 127\.0\.0\.1/);
    const report = (await proxy.closeSession('unix-task'))!;
    expect(report.records).toHaveLength(1);
    expect(report.records[0]).toMatchObject({ taskId: 'unix-task', decision: 'allowed' });
    expect(existsSync(socketPath)).toBe(false);
  });

  it('serves an adopted, already-listening server (the netns hand-over path) for the same task', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const ep = await proxy.openSession('adopt-task', allow(), {}, { adopt: server });
    expect(ep.port).toBe((server.address() as AddressInfo).port);
    const r = await httpViaProxy(ep.port, `http://127.0.0.1:${up.port}/hello`);
    expect(r.status).toBe(200);
    const report = (await proxy.closeSession('adopt-task'))!;
    expect(report.records).toMatchObject([{ taskId: 'adopt-task', decision: 'allowed' }]);
    expect(server.listening).toBe(false);
  });

  it('closeSession ends every connection of that task only', async () => {
    const [a, b] = await Promise.all([proxy.openSession('close-a', allow()), proxy.openSession('close-b', allow())]);
    const open = async (port: number) => {
      const t = await proxyConnect(port, `127.0.0.1:${up.port}`);
      t.socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n');
      return t.socket;
    };
    const before = up.connections;
    const [sa, sb] = await Promise.all([open(a.port), open(b.port)]);
    while (up.connections - before < 2) await new Promise((r) => setTimeout(r, 5));
    const aClosed = closing(sa);
    const report = (await proxy.closeSession('close-a'))!;
    await aClosed;
    expect(sb.destroyed).toBe(false);
    expect(report.records[0]).toMatchObject({ decision: 'allowed', error: 'session closed' });
    sb.destroy();
    await proxy.closeSession('close-b');
  });
});
