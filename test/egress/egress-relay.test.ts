// The proxy's relay itself: bytes arrive intact (not just counted) across short and long reads, and a client that
// stops reading stalls the upstream instead of the proxy buffering the download.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressProxy, type EgressEndpoint } from '../../src/egress/egress-proxy.js';
import { parseAllowList } from '../../src/egress/policy.js';

const BIG = 128 << 20;
const body = randomBytes(BIG);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Upstream { server: Server; port: number; sent: number; written: number[] }

/**
 * GET /mixed: 200 writes of 700 bytes a turn apart (short reads at the proxy), then 8 MiB at once (long reads).
 * GET /big: all of `body` in 256 KiB writes, each after the previous drained, so `sent` is what the kernel took.
 */
async function upstream(): Promise<Upstream> {
  const u: Upstream = { server: createServer(), port: 0, sent: 0, written: [] };
  u.server.on('connection', (s: Socket) => {
    s.on('error', () => undefined);
    s.on('close', () => u.written.push(s.bytesWritten));
    s.once('data', async (d) => {
      const mixed = d.toString('latin1').startsWith('GET /mixed');
      const total = mixed ? 200 * 700 + (8 << 20) : BIG;
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\nConnection: close\r\n\r\n`);
      if (mixed) {
        for (let i = 0; i < 200; i++) { s.write(body.subarray(i * 700, (i + 1) * 700)); await new Promise((r) => setImmediate(r)); }
        s.end(body.subarray(200 * 700, total));
        return;
      }
      for (u.sent = 0; u.sent < BIG && !s.destroyed;) {
        const more = s.write(body.subarray(u.sent, u.sent + (256 << 10)));
        u.sent += 256 << 10;
        if (!more) await once(s, 'drain');
      }
      s.end();
    });
  });
  u.server.listen(0, '127.0.0.1');
  await once(u.server, 'listening');
  u.port = (u.server.address() as AddressInfo).port;
  return u;
}

/** A GET through the proxy (absolute-form or inside a CONNECT tunnel); resolves with the body's hash and length. */
function get(ep: EgressEndpoint, port: number, path: string, tunnel: boolean, onSocket?: (s: Socket) => void): Promise<{ sha: string; length: number }> {
  return new Promise((resolve, reject) => {
    const s = connect(ep.port, '127.0.0.1');
    const authority = `127.0.0.1:${port}`;
    const request = `GET ${tunnel ? '' : `http://${authority}`}${path} HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`;
    const hash = createHash('sha256');
    let length = 0;
    let phase: 'connect' | 'head' | 'body' = tunnel ? 'connect' : 'head';
    let head = Buffer.alloc(0);
    s.on('connect', () => { s.write(tunnel ? `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n` : request); onSocket?.(s); });
    s.on('data', (c: Buffer) => {
      if (phase === 'body') { hash.update(c); length += c.length; return; }
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const rest = head.subarray(end + 4);
      head = Buffer.alloc(0);
      if (phase === 'connect') { phase = 'head'; s.write(request); return; }
      phase = 'body';
      hash.update(rest);
      length += rest.length;
    });
    s.on('error', reject);
    s.on('end', () => { s.destroy(); resolve({ sha: hash.digest('hex'), length }); });
  });
}

let u: Upstream;
let proxy: EgressProxy;
let ep: EgressEndpoint;

beforeAll(async () => {
  u = await upstream();
  proxy = new EgressProxy();
  ep = await proxy.openSession('relay', parseAllowList([`127.0.0.1:${u.port}`]));
});

afterAll(async () => {
  await proxy.close();
  u.server.close();
});

describe('egress relay', () => {
  it.each([false, true])('delivers every byte intact across short and long reads (tunnel: %s)', async (tunnel) => {
    const before = proxy.usage('relay')!;
    const got = await get(ep, u.port, '/mixed', tunnel);
    const want = body.subarray(0, 200 * 700 + (8 << 20));
    expect(got.length).toBe(want.length);
    expect(got.sha).toBe(sha(want));
    for (let t = Date.now(); u.written.length < (tunnel ? 2 : 1) && Date.now() - t < 5000;) await new Promise((r) => setTimeout(r, 10));
    expect(proxy.usage('relay')!.bytesDown - before.bytesDown).toBe(u.written.at(-1));
  });

  it('stalls the upstream while the client does not read, then delivers everything', async () => {
    let client!: Socket;
    const done = get(ep, u.port, '/big', true, (s) => { client = s; });
    // Let the download get going, then stop reading on the client.
    for (let t = Date.now(); u.sent < (4 << 20) && Date.now() - t < 10_000;) await new Promise((r) => setTimeout(r, 5));
    client.pause();
    await new Promise((r) => setTimeout(r, 700));
    const stalledAt = u.sent;
    await new Promise((r) => setTimeout(r, 500));
    console.log(`client paused: upstream stalled at ${(stalledAt / 2 ** 20).toFixed(1)} MiB of ${BIG / 2 ** 20} MiB (socket buffers on both hops)`);
    expect(u.sent).toBe(stalledAt);
    expect(stalledAt).toBeLessThan(BIG);
    client.resume();
    const got = await done;
    expect(got.length).toBe(BIG);
    expect(got.sha).toBe(sha(body));
  }, 60_000);
});
