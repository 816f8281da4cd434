// Parses a proxy request head (CONNECT authority-form or absolute-form http://) and rewrites it for the origin.

export const HEAD_END = Buffer.from('\r\n\r\n');

export interface ProxyRequest {
  kind: 'connect' | 'http';
  method: string;
  /** Host as written (brackets removed), whether it was bracketed, and the port as written. */
  host: string;
  bracketed: boolean;
  port: string;
  /** origin-form path for 'http' requests. */
  path: string;
  headers: Array<[string, string]>;
  /** Bytes after the head: the start of the tunnel or of the request body. */
  rest: Buffer;
}

export class BadRequest extends Error {}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function splitAuthority(authority: string): { host: string; bracketed: boolean; port: string | undefined } {
  if (authority.includes('@')) throw new BadRequest('userinfo is not allowed in the authority');
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) throw new BadRequest('unterminated IPv6 literal');
    const after = authority.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new BadRequest('junk after IPv6 literal');
    return { host: authority.slice(1, close), bracketed: true, port: after ? after.slice(1) : undefined };
  }
  const colon = authority.lastIndexOf(':');
  if (colon < 0) return { host: authority, bracketed: false, port: undefined };
  return { host: authority.slice(0, colon), bracketed: false, port: authority.slice(colon + 1) };
}

function parseHeaders(lines: string[]): Array<[string, string]> {
  return lines.map((line) => {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    // A bare LF or NUL forwarded inside a value could split the head the origin parses.
    if (!TOKEN.test(name) || /[\n\0]/.test(line)) throw new BadRequest(`malformed header line "${line.slice(0, 40)}"`);
    return [name, line.slice(colon + 1).trim()];
  });
}

/** Parses `buf`, which holds a complete head (HEAD_END found at `end`). */
export function parseRequestHead(buf: Buffer, end: number): ProxyRequest {
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^([A-Z]{1,20}) (\S{1,8000}) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
  if (!m) throw new BadRequest('malformed request line');
  const [, method, target] = m as unknown as [string, string, string];
  const headers = parseHeaders(lines.slice(1));
  const rest = buf.subarray(end + HEAD_END.length);
  if (method === 'CONNECT') {
    const a = splitAuthority(target);
    if (a.port === undefined) throw new BadRequest('CONNECT needs HOST:PORT');
    return { kind: 'connect', method, host: a.host, bracketed: a.bracketed, port: a.port, path: '', headers, rest };
  }
  const abs = /^http:\/\/([^/?#]*)(.*)$/i.exec(target);
  if (!abs) throw new BadRequest('only absolute-form http:// URIs or CONNECT are proxied');
  const a = splitAuthority(abs[1]!);
  const tail = abs[2]!.replace(/#.*$/, '');
  return { kind: 'http', method, host: a.host, bracketed: a.bracketed, port: a.port ?? '80', path: tail.startsWith('/') ? tail : `/${tail}`, headers, rest };
}

const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade']);

/**
 * The head sent to the origin: origin-form target, hop-by-hop headers dropped, and `Connection: close` so one
 * client connection carries one destination (a second request cannot reuse a tunnel to another host).
 */
export function originHead(req: ProxyRequest, authority: string): Buffer {
  const named = new Set(req.headers.filter(([n]) => n.toLowerCase() === 'connection').flatMap(([, v]) => v.toLowerCase().split(',').map((t) => t.trim())));
  const kept = req.headers.filter(([n]) => !HOP_BY_HOP.has(n.toLowerCase()) && !named.has(n.toLowerCase()));
  if (!kept.some(([n]) => n.toLowerCase() === 'host')) kept.unshift(['Host', authority]);
  const lines = [`${req.method} ${req.path} HTTP/1.1`, ...kept.map(([n, v]) => `${n}: ${v}`), 'Connection: close'];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
