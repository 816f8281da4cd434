// Handles one client connection of a task's session: parse, decide, dial the checked address, pipe with accounting.
import { connect, type Socket } from 'node:net';
import type { LookupAddress } from 'node:dns';
import type { DenyReason, EgressCounters, EgressRecord } from './audit-log.js';
import { parseClientHello } from './client-hello.js';
import { CountedReader, countedPipe, forwardCounted } from './counted-pipe.js';
import { checkDestination, type ListenerAddress } from './destination-check.js';
import { canonicalIp } from './ip-literal.js';
import { matches, parseTarget, type Target } from './policy.js';
import { BadRequest, HEAD_END, originHead, parseRequestHead, type ProxyRequest } from './request-head.js';
import type { EgressSession } from './session.js';
import { readUntil } from './socket-read.js';

export type LookupAll = (host: string) => Promise<LookupAddress[]>;

export interface ProxyTimeouts {
  /** Whole request head must arrive within this. */
  headMs: number;
  /** A started ClientHello must complete within this. */
  helloMs: number;
  /** After CONNECT's 200, how long to wait for the client's first byte before dialing anyway (server-speaks-first). */
  firstByteMs: number;
  connectMs: number;
}

export interface ProxyContext {
  ownListeners(): readonly ListenerAddress[];
  lookup: LookupAll;
  counters: EgressCounters;
  timeouts: ProxyTimeouts;
  onDenied(record: EgressRecord): void;
}

/** Both the request head and a ClientHello are buffered up to this many bytes, no more. */
export const MAX_PREFIX_BYTES = 16 * 1024;

class Denied extends Error {
  constructor(readonly reason: DenyReason, readonly detail: string) { super(detail); }
}

function reply(socket: Socket, status: string, reason: string, detail: string): void {
  const body = `${reason}: ${detail}\n`;
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nX-Ari-Egress-Reason: ${reason}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

async function resolveChecked(target: Target, session: EgressSession, ctx: ProxyContext, record: EgressRecord): Promise<string> {
  let addresses: string[];
  if (target.kind === 'ip') addresses = [target.host];
  else {
    try { addresses = (await ctx.lookup(target.host)).map((a) => canonicalIp(a.address) ?? a.address); }
    catch (e) { throw new Denied('dns_failed', `${target.host}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
    if (addresses.length === 0) throw new Denied('dns_failed', `${target.host}: no addresses`);
  }
  let firstRefusal: Denied | undefined;
  for (const ip of addresses) {
    const v = checkDestination(ip, target.port, session.allow, ctx.ownListeners());
    if (v.ok) { record.address = ip; return ip; }
    firstRefusal ??= new Denied(v.reason, v.detail);
    record.address ||= ip;
  }
  throw firstRefusal!;
}

/** After CONNECT's 200: the client's first bytes; if they start a TLS ClientHello its SNI must name the CONNECT host. */
async function tunnelPrefix(client: Socket, req: ProxyRequest, target: Target, ctx: ProxyContext): Promise<Buffer> {
  const t = ctx.timeouts;
  const { buf, end } = await readUntil(client, req.rest, (b) => parseClientHello(b).state !== 'incomplete',
    { maxBytes: MAX_PREFIX_BYTES, timeoutMs: t.helloMs, firstByteMs: t.firstByteMs });
  if (buf.length === 0) return buf;
  const hello = parseClientHello(buf);
  if (hello.state === 'not-tls') return buf;
  if (hello.state === 'incomplete') throw new Denied('tls_unparseable', `ClientHello incomplete (${end}, ${buf.length} bytes)`);
  if (hello.state === 'invalid') throw new Denied('tls_unparseable', hello.why);
  if (hello.sni !== undefined && hello.sni !== target.host) throw new Denied('sni_mismatch', `SNI "${hello.sni}" does not name CONNECT host "${target.host}"`);
  return buf;
}

/** Connects to the checked address; its reads go through `reader` (the download direction) from the start. */
function dial(ip: string, port: number, ms: number, reader: CountedReader): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: ip, port, allowHalfOpen: true, noDelay: true, onread: reader.onread });
    reader.attach(s);
    const timer = setTimeout(() => s.destroy(new Error('connect timeout')), ms);
    s.once('connect', () => { clearTimeout(timer); s.off('error', reject); resolve(s); });
    s.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

function splice(client: Socket, upstream: Socket, down: CountedReader, first: Buffer, session: EgressSession, record: EgressRecord, ctx: ProxyContext): void {
  session.track(upstream);
  upstream.on('error', () => undefined);
  let closed = 0;
  const done = () => { if (++closed === 2) session.finished(record); };
  client.once('close', done);
  upstream.once('close', done);
  if (first.length && !forwardCounted(first, upstream, 'up', session, record, ctx.counters) && session.ended) return;
  countedPipe(client, upstream, 'up', session, record, ctx.counters);
  down.start();
}

interface Attempt { client: Socket; req: ProxyRequest; record: EgressRecord; tunnelOpen: boolean }

async function decideAndForward(a: Attempt, session: EgressSession, ctx: ProxyContext): Promise<void> {
  const { client, req, record } = a;
  if (session.ended) throw new Denied(session.ended === 'closed' ? 'session_closed' : 'budget_exhausted', `session ended (${session.ended})`);
  let target: Target;
  try { target = parseTarget(req.host, req.port, req.bracketed); }
  catch (e) { throw new Denied('bad_request', (e as Error).message); }
  record.host = target.host;
  record.port = target.port;
  const entry = matches(session.allow, target);
  if (!entry) throw new Denied('not_allowlisted', `${target.kind === 'ip' && target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port} is not on the allow list`);
  record.entry = entry.text;
  const ip = await resolveChecked(target, session, ctx, record);
  let first = req.rest;
  const noRoom = () => new Denied('budget_exhausted', `egress_connections budget of ${session.budgets.egressConnections} reached`);
  if (req.kind === 'connect') {
    // Checked before the 200 too, so a tunnel beyond the budget is refused outright rather than opened and dropped.
    if (!session.roomForConnection()) throw noRoom();
    client.write('HTTP/1.1 200 Connection established\r\n\r\n');
    a.tunnelOpen = true;
    first = await tunnelPrefix(client, req, target, ctx);
  } else {
    first = Buffer.concat([originHead(req, req.bracketed ? `[${req.host}]:${req.port}` : `${req.host}:${req.port}`), req.rest]);
  }
  if (client.destroyed) return;
  if (!session.admit()) throw noRoom();
  record.decision = 'allowed';
  record.reason = 'allowlisted';
  ctx.counters.connections.allowed++;
  session.opened(record);
  let upstream: Socket;
  const down = new CountedReader(client, 'down', session, record, ctx.counters);
  try { upstream = await dial(ip, target.port, ctx.timeouts.connectMs, down); }
  catch (e) {
    record.error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    session.finished(record);
    if (req.kind === 'http') reply(client, '502 Bad Gateway', 'connect_failed', record.error); else client.destroy();
    return;
  }
  if (session.ended || client.destroyed) { upstream.destroy(); session.finished(record); return; }
  splice(client, upstream, down, first, session, record, ctx);
}

function deny(client: Socket, record: EgressRecord, d: Denied, tunnelOpen: boolean, session: EgressSession, ctx: ProxyContext): void {
  record.decision = 'denied';
  record.reason = d.reason;
  record.detail = d.detail;
  record.durationMs = Date.now() - record.startedAt;
  session.usage.denied++;
  ctx.counters.connections.denied++;
  ctx.onDenied({ ...record });
  if (tunnelOpen || client.destroyed) client.destroy();
  else reply(client, d.reason === 'bad_request' ? '400 Bad Request' : '403 Forbidden', d.reason, d.detail);
}

export async function handleClient(client: Socket, session: EgressSession, ctx: ProxyContext): Promise<void> {
  client.on('error', () => undefined);
  client.setNoDelay(true);
  session.track(client);
  if (client.destroyed) return;
  const head = await readUntil(client, Buffer.alloc(0), (b) => b.indexOf(HEAD_END) >= 0, { maxBytes: MAX_PREFIX_BYTES, timeoutMs: ctx.timeouts.headMs });
  const end = head.buf.indexOf(HEAD_END);
  let req: ProxyRequest | undefined;
  let parseError = end < 0 ? `request head not complete (${head.end}, ${head.buf.length} bytes)` : '';
  if (end >= 0) {
    try { req = parseRequestHead(head.buf, end); } catch (e) { if (!(e instanceof BadRequest)) throw e; parseError = e.message; }
  }
  // A connection that closes without sending anything is no egress attempt: nothing to record.
  if (!req && head.end === 'eof' && head.buf.length === 0) { client.destroy(); return; }
  const record = session.log.begin(req?.kind ?? 'unknown', req?.host ?? '', Number(req?.port) || 0);
  if (!req) return deny(client, record, new Denied('bad_request', parseError), false, session, ctx);
  const attempt: Attempt = { client, req, record, tunnelOpen: false };
  try {
    await decideAndForward(attempt, session, ctx);
  } catch (e) {
    if (!(e instanceof Denied)) { record.error = String(e); client.destroy(); return; }
    deny(client, record, e, attempt.tunnelOpen, session, ctx);
  }
}
