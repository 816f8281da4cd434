// Reads the SNI server name from a TLS ClientHello; total over any input (never throws), bounded by its caller.

export type ClientHelloResult =
  | { state: 'incomplete' }                 // a prefix of a plausible ClientHello: read more
  | { state: 'not-tls' }                    // the first byte is not a TLS handshake record
  | { state: 'invalid'; why: string }
  | { state: 'ok'; sni?: string };

class Truncated extends Error {}
class Malformed extends Error {}

/** A bounds-checked cursor: reading past the end is Truncated, never an out-of-range read. */
class Cursor {
  constructor(private readonly b: Buffer, private pos = 0, private readonly end = b.length) {}
  u8(): number { this.need(1); return this.b[this.pos++]!; }
  u16(): number { return (this.u8() << 8) | this.u8(); }
  u24(): number { return (this.u8() << 16) | this.u16(); }
  bytes(n: number): Buffer { this.need(n); const s = this.b.subarray(this.pos, this.pos + n); this.pos += n; return s; }
  sub(n: number): Cursor { this.need(n); const c = new Cursor(this.b, this.pos, this.pos + n); this.pos += n; return c; }
  get left(): number { return this.end - this.pos; }
  private need(n: number): void { if (this.pos + n > this.end) throw new Truncated(); }
}

/** Joins the payloads of consecutive handshake records (a ClientHello may be fragmented across records). */
function handshakeBytes(buf: Buffer): { data: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  const c = new Cursor(buf);
  let have = 0;
  let wanted = Infinity;
  while (have < wanted) {
    if (c.left === 0) return { data: Buffer.concat(parts), complete: false };
    if (c.u8() !== 0x16) throw new Malformed('record is not a handshake record');
    if (c.u8() !== 0x03) throw new Malformed('record version is not TLS');
    c.u8();
    const len = c.u16();
    if (len === 0 || len > 16384) throw new Malformed(`record length ${len} out of range`);
    const payload = c.left >= len ? c.bytes(len) : c.bytes(c.left);
    parts.push(payload);
    have += payload.length;
    if (wanted === Infinity && have >= 4) {
      const head = Buffer.concat(parts);
      if (head[0] !== 0x01) throw new Malformed('handshake message is not a ClientHello');
      wanted = 4 + head.readUIntBE(1, 3);
    }
    if (payload.length < len) return { data: Buffer.concat(parts), complete: false };
  }
  return { data: Buffer.concat(parts), complete: true };
}

function serverName(ext: Cursor): string | undefined {
  const list = ext.sub(ext.u16());
  while (list.left > 0) {
    const type = list.u8();
    const name = list.bytes(list.u16());
    if (type !== 0) continue;
    const text = name.toString('latin1');
    if (!/^[\x21-\x7e]{1,253}$/.test(text)) throw new Malformed('server_name is not a printable host name');
    return text.toLowerCase().replace(/\.$/, '');
  }
  return undefined;
}

function parseHello(msg: Buffer): string | undefined {
  const c = new Cursor(msg);
  c.u8();
  const body = c.sub(c.u24());
  body.bytes(2 + 32);            // legacy_version, random
  body.bytes(body.u8());         // session id
  body.bytes(body.u16());        // cipher suites
  body.bytes(body.u8());         // compression methods
  if (body.left === 0) return undefined;
  const exts = body.sub(body.u16());
  while (exts.left > 0) {
    const type = exts.u16();
    const ext = exts.sub(exts.u16());
    if (type === 0) return serverName(ext);
  }
  return undefined;
}

export function parseClientHello(buf: Buffer): ClientHelloResult {
  if (buf.length === 0) return { state: 'incomplete' };
  if (buf[0] !== 0x16) return { state: 'not-tls' };
  try {
    const { data, complete } = handshakeBytes(buf);
    if (!complete) return { state: 'incomplete' };
    try {
      return { state: 'ok', sni: parseHello(data) };
    } catch (e) {
      // The message is complete, so running out of bytes inside it is a lie in a length field.
      if (e instanceof Truncated) return { state: 'invalid', why: 'a length field overruns the ClientHello' };
      throw e;
    }
  } catch (e) {
    if (e instanceof Truncated) return { state: 'incomplete' };
    if (e instanceof Malformed) return { state: 'invalid', why: e.message };
    return { state: 'invalid', why: String(e) };
  }
}
