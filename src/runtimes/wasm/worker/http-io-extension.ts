// Runs inside preview2-shim's I/O thread (its host-extension hook): a component task's HTTP requests, each one sent
// only to the task's egress proxy endpoint — plain http in absolute form, https as CONNECT then TLS over the tunnel.
// Loaded as plain JS (compiled, or transpiled from source by component-http.ts): node: imports and type imports only.
import { once } from 'node:events';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { connect as tlsConnect, rootCertificates } from 'node:tls';
import type { WorkerExtensionContext } from '@bytecodealliance/preview2-shim/io-worker';
import type { EgressTarget } from '../shared/worker-protocol.js';

export interface HttpCall {
  proxy: EgressTarget;
  method: string;
  scheme: 'http' | 'https';
  /** host[:port] as the guest wrote it (validated by the request's setter). */
  authority: string;
  path: string;
  headers: [string, string][];
  /** The I/O-thread stream the guest writes the request body into, when it asked for one. */
  bodyId?: number;
}

export interface HttpAnswer {
  status: number;
  headers: [string, string][];
  bodyStreamId: number;
}

/** A wasi:http error-code value (its case name, with a payload where the case has one). */
export interface ErrorCode { tag: string; val?: unknown }

const TLS_CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME_INVALID/;

function hostOf(authority: string): { host: string; port: number | undefined } {
  const colon = authority.lastIndexOf(':');
  return colon < 0 ? { host: authority, port: undefined } : { host: authority.slice(0, colon), port: Number(authority.slice(colon + 1)) };
}

function errorCode(e: unknown): ErrorCode {
  if (e && typeof e === 'object' && typeof (e as ErrorCode).tag === 'string') return e as ErrorCode;
  const err = e as NodeJS.ErrnoException;
  const code = String(err?.code ?? '');
  if (TLS_CERT_CODES.test(code)) return { tag: 'TLS-certificate-error' };
  if (code.startsWith('ERR_SSL') || code === 'EPROTO') return { tag: 'TLS-protocol-error' };
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/.test(err?.message ?? '')) return { tag: 'connection-terminated' };
  if (code === 'ECONNREFUSED') return { tag: 'connection-refused' };
  return { tag: 'internal-error', val: String(err?.message ?? e) };
}

function withHeaders(req: ClientRequest, call: HttpCall): ClientRequest {
  req.setHeader('Host', call.authority);
  for (const [k, v] of call.headers) req.appendHeader(k, v);
  return req;
}

/** Plain http: the absolute-form request goes to the proxy, which checks the authority and forwards it. */
function plain(call: HttpCall): ClientRequest {
  const { host, port } = call.proxy;
  return withHeaders(httpRequest({ host, port, method: call.method, path: `http://${call.authority}${call.path}`, agent: false, setHost: false }), call);
}

/** https: CONNECT host:port at the proxy; a refusal (any non-200) is the guest's HTTP-request-denied. */
async function tunnelled(call: HttpCall): Promise<ClientRequest> {
  const connect = httpRequest({ host: call.proxy.host, port: call.proxy.port, method: 'CONNECT', path: call.authority, agent: false, setHost: false });
  connect.setHeader('Host', call.authority);
  connect.on('error', () => undefined); // reported through once() below
  connect.end();
  const [res, socket] = (await once(connect, 'connect')) as [IncomingMessage, Socket];
  if (res.statusCode !== 200) {
    socket.destroy();
    throw { tag: 'HTTP-request-denied' } satisfies ErrorCode;
  }
  const { host } = hostOf(call.authority);
  const ca = call.proxy.ca?.length ? [...rootCertificates, ...call.proxy.ca] : undefined;
  // A verifying client: default roots (plus the operator's), the authority's name checked; SNI only for names.
  const tls = tlsConnect({ socket, host, servername: isIP(host) ? undefined : host, ca, ALPNProtocols: ['http/1.1'] });
  tls.on('error', () => undefined); // reported through the request below
  // The server closed (its close_notify): the connection is single-use, so the tunnel is cut before Node's TLS
  // answers with a close_notify of its own — bytes the upstream, already closed, would never read.
  tls.prependListener('end', () => socket.destroy());
  // No agent: ClientRequest then takes createConnection (any agent, even `agent: false`, would dial the authority
  // itself). The socket check makes a future Node that did otherwise fail closed instead of bypassing the proxy.
  const req = httpRequest({ method: call.method, host, path: call.path, setHost: false, createConnection: () => tls });
  req.once('socket', (s) => { if (s !== tls) req.destroy(new Error('request socket is not the proxy tunnel')); });
  return withHeaders(req, call);
}

async function send(ctx: WorkerExtensionContext, call: HttpCall): Promise<HttpAnswer> {
  try {
    const req = call.scheme === 'https' ? await tunnelled(call) : plain(call);
    // An error after the answer (the proxy cutting a budget-crossing transfer) reaches the guest through the body
    // stream; unhandled here it would become the shim's sticky uncaughtException and fail every later I/O call.
    req.on('error', () => undefined);
    const answered = once(req, 'response') as Promise<[IncomingMessage]>;
    if (call.bodyId !== undefined) (ctx.getStream(call.bodyId) as Readable).pipe(req);
    else req.end();
    const [res] = await answered;
    res.on('error', () => undefined); // a cut body is the guest's stream error, through the shim's stream state
    const headers: [string, string][] = [];
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
    return { status: res.statusCode ?? 0, headers, bodyStreamId: ctx.createReadableStream(res) };
  } catch (e) {
    throw errorCode(e);
  }
}

/** The shim calls this once per I/O thread; operations: `body` (a new request-body stream), `finish`, `request`. */
export default function create(ctx: WorkerExtensionContext) {
  return (operation: string, args: unknown[]): unknown => {
    switch (operation) {
      case 'body':
        return ctx.createWritableStream(new PassThrough());
      case 'finish':
        (ctx.getStream(args[0] as number) as Writable).end();
        return undefined;
      case 'request':
        return ctx.createFuture(send(ctx, args[0] as HttpCall) as Promise<never>);
      default:
        throw new Error(`unknown http extension operation ${operation}`);
    }
  };
}
