// SNI extraction from real ClientHellos (Node's TLS client), at every truncation, fragmented, and under fuzzing.
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClientHello } from '../../src/egress/client-hello.js';

/** The bytes Node's TLS client sends first, captured by a plain TCP listener. */
async function captureHello(servername?: string): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (b: Buffer) => { resolve(b); s.destroy(); })));
  const c = tlsConnect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername, rejectUnauthorized: false });
  c.on('error', () => undefined);
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

/** Re-frames a single-record ClientHello as several records of at most `size` payload bytes. */
function fragment(hello: Buffer, size: number): Buffer {
  const payload = hello.subarray(5);
  const out: Buffer[] = [];
  for (let i = 0; i < payload.length; i += size) {
    const part = payload.subarray(i, i + size);
    out.push(Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part);
  }
  return Buffer.concat(out);
}

describe('parseClientHello', () => {
  it('reads the SNI of a real ClientHello, and reports none when the client sent none', async () => {
    expect(parseClientHello(await captureHello('API.Example.com'))).toEqual({ state: 'ok', sni: 'api.example.com' });
    expect(parseClientHello(await captureHello())).toEqual({ state: 'ok', sni: undefined });
  });

  it('says incomplete at every truncation and never throws', async () => {
    const hello = await captureHello('api.example.com');
    for (let n = 1; n < hello.length; n++) expect(parseClientHello(hello.subarray(0, n)).state, `at ${n}`).toBe('incomplete');
  });

  it('reassembles a ClientHello fragmented across records', async () => {
    const hello = await captureHello('frag.example.org');
    for (const size of [1, 7, 100]) expect(parseClientHello(fragment(hello, size))).toEqual({ state: 'ok', sni: 'frag.example.org' });
  });

  it('tells non-TLS from TLS and flags lying lengths', async () => {
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ state: 'not-tls' });
    expect(parseClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]))).toMatchObject({ state: 'invalid' });
    expect(parseClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0, 0, 0]))).toMatchObject({ state: 'invalid' });
    const hello = Buffer.from(await captureHello('api.example.com'));
    hello[5 + 4 + 34] = 0xff; // session id length far past the message end
    expect(parseClientHello(hello)).toMatchObject({ state: 'invalid' });
  });

  it('never throws on random or mutated input', async () => {
    const hello = await captureHello('fuzz.example.com');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const r = parseClientHello(Buffer.from(bytes));
      expect(['incomplete', 'not-tls', 'invalid', 'ok']).toContain(r.state);
    }), { numRuns: 3000 });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(hello.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (edits) => {
      const b = Buffer.from(hello);
      for (const [i, v] of edits) b[i] = v;
      const r = parseClientHello(b);
      expect(['incomplete', 'not-tls', 'invalid', 'ok']).toContain(r.state);
    }), { numRuns: 3000 });
  });
});
