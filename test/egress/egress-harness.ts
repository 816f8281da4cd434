// Local upstreams (HTTP and HTTPS on 127.0.0.1, counting connections and bytes) and proxy clients for egress tests.
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttp, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { makePki, type TestPki } from '../reliability/certs.js';

export interface Upstream {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Bytes read/written on sockets that have closed. */
  bytesIn: number;
  bytesOut: number;
  open: number;
  /** Per /download chunk: [body bytes written so far including this chunk, performance.now() of the write]. */
  timeline: Array<[number, number]>;
  close(): Promise<void>;
}

function handler(u: Upstream) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      // the fuzz tests tunnel arbitrary bytes to this upstream: a request target URL cannot parse is a 400, not a crash
      res.writeHead(400).end();
      return;
    }
    if (url.pathname === '/download') return download(u, url, res);
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const text = url.pathname === '/echo' ? Buffer.concat(body) : Buffer.from(`hello ${req.headers.host ?? ''}\n`);
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': text.length }).end(text);
    });
  };
}

/** Streams `bytes` in `chunk`-sized writes `gapMs` apart, marking when the written total crosses marks.threshold. */
function download(u: Upstream, url: URL, res: ServerResponse): void {
  const total = Number(url.searchParams.get('bytes') ?? 1024);
  const chunk = Number(url.searchParams.get('chunk') ?? 65536);
  const gap = Number(url.searchParams.get('gapMs') ?? 0);
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': total });
  let sent = 0;
  const piece = Buffer.alloc(chunk, 0x61);
  const step = () => {
    while (sent < total && !res.destroyed) {
      const n = Math.min(chunk, total - sent);
      sent += n;
      const more = res.write(n === chunk ? piece : piece.subarray(0, n));
      u.timeline.push([sent, performance.now()]);
      if (gap > 0) { setTimeout(step, gap); return; }
      if (!more) { res.once('drain', step); return; }
    }
    if (sent >= total) res.end();
  };
  step();
}

function instrument(server: Server, u: Upstream): void {
  server.on('connection', (s: Socket) => {
    u.connections++;
    u.open++;
    s.on('close', () => { u.open--; u.bytesIn += s.bytesRead; u.bytesOut += s.bytesWritten; });
  });
}

async function start(server: Server, u: Upstream): Promise<Upstream> {
  instrument(server, u);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  u.port = (server.address() as AddressInfo).port;
  u.close = () => new Promise((r) => { (server as { closeAllConnections?: () => void }).closeAllConnections?.(); server.close(() => r()); });
  return u;
}

function blank(): Upstream {
  return { port: 0, connections: 0, bytesIn: 0, bytesOut: 0, open: 0, timeline: [], close: async () => undefined };
}

export function startHttpUpstream(): Promise<Upstream> {
  const u = blank();
  const server = createHttp({ keepAlive: false }, handler(u));
  return start(server as unknown as Server, u);
}

let pki: TestPki | undefined;
export function testPki(): TestPki {
  pki ??= makePki(mkdtempSync(join(tmpdir(), 'ari-egress-pki-')));
  return pki;
}

export function startHttpsUpstream(): Promise<Upstream> {
  const u = blank();
  const p = testPki();
  const server = createHttps({ cert: readFileSync(p.serverCert), key: readFileSync(p.serverKey), allowHalfOpen: true }, handler(u));
  // The client closes (close_notify, FIN) and the server would answer with its own close_notify: bytes it counts as
  // written that race the task's end (the session then closes the tunnel before the proxy reads them). A server
  // that closes without that reply writes nothing the proxy cannot have read. Prepended: runs before http's own
  // end handler, which would otherwise end() the socket (and send the alert).
  server.prependListener('secureConnection', (s: Socket) => { s.on('end', () => s.destroy()); });
  // https counts TCP connections (not TLS sessions) so a refused-before-dial attempt shows as zero.
  return start(server as unknown as Server, u);
}

/** Waits until every upstream socket has closed, so its byte totals are final. */
export async function settled(u: Upstream, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (u.open > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  if (u.open > 0) throw new Error(`upstream still has ${u.open} open connections`);
}

export interface ProxyReply { status: number; head: string; socket: Socket }

/** Sends a raw CONNECT and reads the proxy's answer head; the socket is the tunnel when status is 200. */
export async function proxyConnect(proxyPort: number, authority: string): Promise<ProxyReply> {
  const socket = connect(proxyPort, '127.0.0.1');
  socket.on('error', () => undefined); // a refused or ended tunnel may reset; callers look at 'close'
  await once(socket, 'connect');
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  return readHead(socket);
}

export function readHead(socket: Socket): Promise<ProxyReply> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      socket.pause();
      resolve({ status: Number(head.split(' ')[1]), head: head + '\r\n\r\n' + rest.toString('latin1'), socket });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => resolve({ status: 0, head: buf.toString('latin1'), socket }));
  });
}

export interface HttpReply { status: number; body: Buffer; reason?: string }

/** A plain-HTTP request through the proxy with Node's http client (absolute-form URI). */
export function httpViaProxy(proxyPort: number, url: string, body?: Buffer): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: '127.0.0.1', port: proxyPort, path: url, method: body ? 'POST' : 'GET', headers: { Host: u.host }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), reason: res.headers['x-ari-egress-reason'] as string | undefined }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** HTTPS through a CONNECT tunnel with Node's tls client; `servername` sets the SNI (omitted for IP literals). */
export async function httpsViaProxy(proxyPort: number, authority: string, path: string, servername?: string): Promise<HttpReply> {
  const r = await proxyConnect(proxyPort, authority);
  if (r.status !== 200) return { status: r.status, body: Buffer.from(r.head) };
  const tls = tlsConnect({ socket: r.socket, ca: readFileSync(testPki().ca), servername, checkServerIdentity: () => undefined });
  tls.on('error', () => undefined);
  tls.write(`GET ${path} HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`);
  const parts: Buffer[] = [];
  tls.on('data', (c: Buffer) => parts.push(c));
  await Promise.race([once(tls, 'end'), once(tls, 'close')]);
  const text = Buffer.concat(parts).toString('latin1');
  return { status: Number(text.split(' ')[1] ?? 0), body: Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1') };
}

/** curl through the proxy; fails clearly when curl is missing. */
export function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error('curl is not installed: apt-get install curl'));
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
