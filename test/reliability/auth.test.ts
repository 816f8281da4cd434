// Auth on a live daemon: bearer tokens, TLS 1.3 and mTLS; refusals run nothing; grpc.health.v1 stays open;
// a network address without auth is refused; the unix socket gets its configured file mode.
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAri, type AriClient, type ConnectOptions } from '../../src/client/ari-client.js';
import { parseConfig } from '../../src/config/load-config.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { silentLogger } from '../../src/observability/logger.js';
import { securityFor } from '../../src/server/auth.js';
import { FIXTURES } from '../helpers/test-daemon.js';
import { makePki, type TestPki } from './certs.js';

const TOKEN = 'test-token-0123456789abcdef';
const MATH = `
[[agents]]
id = "math"
runtime = "wasm"
module = "${FIXTURES}/math/math.wasm"
manifest = "${FIXTURES}/math/manifest.json"
`;
const MULTIPLY = { agent_id: 'math', capability: 'arithmetic', input: '{"operation":"multiply","operands":[7,6]}' };

const dir = mkdtempSync(join(tmpdir(), 'ari-auth-'));
const handles: DaemonHandle[] = [];
const clients: (AriClient | grpc.Client)[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  for (const h of handles) await h.stop();
});

async function serve(toml: string, listen = '127.0.0.1:0'): Promise<DaemonHandle> {
  const file = join(dir, `ari-${handles.length}.toml`);
  writeFileSync(file, toml);
  const config = parseConfig(toml, file, dir);
  config.server.listen = listen;
  config.server.metrics = null;
  const h = await startDaemon({ config, logger: silentLogger });
  handles.push(h);
  return h;
}

function client(address: string, opts: ConnectOptions = {}): AriClient {
  const c = connectAri(address, opts);
  clients.push(c);
  return c;
}

/** grpc.health.v1.Health/Check for service "" with no metadata; resolves the status name or the error code. */
function healthCheck(address: string, creds = grpc.credentials.createInsecure()): Promise<string> {
  const raw = new grpc.Client(address, creds);
  clients.push(raw);
  return new Promise((resolve) => {
    raw.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 10_000 },
      (err, res) => resolve(err ? grpc.status[err.code]! : res?.[1] === 1 ? 'SERVING' : `status ${res?.toString('hex')}`));
  });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe('bearer tokens', () => {
  let address: string;
  beforeAll(async () => { address = (await serve(`[auth]\ntokens = ["${TOKEN}", "second-token-abcdefghijklmnop"]\n${MATH}`)).address; });

  it('refuses every ari RPC without a valid token, and runs nothing', async () => {
    for (const opts of [{}, { token: 'wrong-token-0123456789abcdef' }, { token: `${TOKEN}x` }, { token: TOKEN.slice(0, -1) }]) {
      const c = client(address, opts);
      const id = `unauth-${Math.random().toString(36).slice(2)}`;
      expect(await codeOf(c.executeTask({ ...MULTIPLY, task_id: id })), JSON.stringify(opts)).toBe('UNAUTHENTICATED');
      expect(await codeOf(c.submitTask({ ...MULTIPLY, task_id: id }))).toBe('UNAUTHENTICATED');
      expect(await codeOf(c.getTask(id))).toBe('UNAUTHENTICATED');
      expect(await codeOf(c.cancelTask(id))).toBe('UNAUTHENTICATED');
      expect(await codeOf(c.listAgents())).toBe('UNAUTHENTICATED');
      expect(await codeOf(c.getManifest('math'))).toBe('UNAUTHENTICATED');
      expect(await codeOf(c.getHealth())).toBe('UNAUTHENTICATED');
      expect(await codeOf((async () => { for await (const _ of c.streamUpdates(id)) { /* none */ } })())).toBe('UNAUTHENTICATED');
      // Nothing of the refused requests was executed or recorded.
      expect(await codeOf(client(address, { token: TOKEN }).getTask(id))).toBe('NOT_FOUND');
    }
  });

  it('only the Bearer scheme with an exact token passes', async () => {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    clients.push(raw);
    const call = (value: string) => new Promise<string>((resolve) => {
      const md = new grpc.Metadata();
      md.set('authorization', value);
      raw.makeUnaryRequest('/ari.v1.AgentRuntime/GetHealth', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), md, (err) => resolve(grpc.status[err?.code ?? 0]!));
    });
    expect(await call(`bearer ${TOKEN}`)).toBe('OK');
    for (const bad of [`Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`, 'Bearer', `Bearer  ${TOKEN.toUpperCase()}`]) expect(await call(bad), bad).toBe('UNAUTHENTICATED');
  });

  it('grpc.health.v1 answers without a token; every configured token works', async () => {
    expect(await healthCheck(address)).toBe('SERVING');
    for (const token of [TOKEN, 'second-token-abcdefghijklmnop']) {
      const r = await client(address, { token }).executeTask(MULTIPLY);
      expect(r.status).toBe('COMPLETED');
    }
  });
});

describe('TLS 1.3 and mTLS', () => {
  let pki: TestPki;
  let address: string;
  let port: number;
  beforeAll(async () => {
    pki = makePki(mkdtempSync(join(tmpdir(), 'ari-pki-')));
    address = (await serve(`[auth]\ntokens = ["${TOKEN}"]\ntls_cert = "${pki.serverCert}"\ntls_key = "${pki.serverKey}"\nclient_ca = "${pki.ca}"\n${MATH}`)).address;
    port = Number(address.split(':').pop());
  });
  const good = () => ({ ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) });

  it('a client with a valid certificate and token runs tasks, over TLS 1.3', async () => {
    const r = await client(address, { token: TOKEN, tls: good() }).executeTask(MULTIPLY);
    expect(r.status).toBe('COMPLETED');
    const proto = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: good().ca, cert: good().cert, key: good().key, ALPNProtocols: ['h2'], servername: 'localhost' }, () => {
        resolve(s.getProtocol() ?? '?');
        s.end();
      });
      s.on('error', reject);
    });
    expect(proto).toBe('TLSv1.3');
  });

  it('refuses TLS 1.2', async () => {
    const err = await new Promise<Error | null>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: good().ca, cert: good().cert, key: good().key, ALPNProtocols: ['h2'], maxVersion: 'TLSv1.2', servername: 'localhost' }, () => { s.end(); resolve(null); });
      s.on('error', resolve);
    });
    expect(err?.message).toMatch(/protocol version|alert|handshake|wrong version/i);
  });

  it('no client certificate, a certificate from another CA, or plaintext: no connection, nothing run', async () => {
    const id = `mtls-${Date.now()}`;
    const attempts: ConnectOptions[] = [
      { token: TOKEN, tls: { ca: good().ca } },
      { token: TOKEN, tls: { ca: good().ca, cert: readFileSync(pki.rogueCert), key: readFileSync(pki.rogueKey) } },
      { token: TOKEN },
    ];
    for (const opts of attempts) {
      const code = await codeOf(client(address, opts).executeTask({ ...MULTIPLY, task_id: id }, { deadlineMs: 5_000 }));
      expect(['UNAVAILABLE', 'UNAUTHENTICATED', 'DEADLINE_EXCEEDED'], JSON.stringify(Object.keys(opts.tls ?? {}))).toContain(code);
    }
    expect(await codeOf(client(address, { token: TOKEN, tls: good() }).getTask(id))).toBe('NOT_FOUND');
  });

  it('a valid certificate without the token is still UNAUTHENTICATED; health needs only the certificate', async () => {
    expect(await codeOf(client(address, { tls: good() }).executeTask(MULTIPLY))).toBe('UNAUTHENTICATED');
    const creds = grpc.credentials.createSsl(good().ca, good().key, good().cert);
    expect(await healthCheck(address, creds)).toBe('SERVING');
  });
});

describe('listen policy', () => {
  const none = { tokens: [], insecure: false };
  it('refuses a non-loopback address without auth, unless insecure = true (and then warns)', async () => {
    expect(() => securityFor('0.0.0.0:9090', none)).toThrow(/refusing to listen on 0\.0\.0\.0:9090 without authentication/);
    expect(() => securityFor('[::]:9090', none)).toThrow(/refusing/);
    expect(() => securityFor('10.1.2.3:9090', none)).toThrow(/refusing/);
    expect(securityFor('0.0.0.0:9090', { ...none, insecure: true }).warnings.join()).toMatch(/INSECURE/);
    expect(securityFor('0.0.0.0:9090', { ...none, tokens: [TOKEN] }).warnings.join()).toMatch(/cleartext/);
    for (const ok of ['127.0.0.1:9090', 'localhost:1', '[::1]:9090', 'unix:/tmp/x.sock']) expect(securityFor(ok, none).warnings).toEqual([]);
    expect(() => securityFor('127.0.0.1:1', { ...none, tokens: ['short'] })).toThrow(/at least 16 characters/);
    expect(() => securityFor('127.0.0.1:1', { ...none, clientCa: '/x' })).toThrow(/needs tls_cert/);
    await expect(serve(MATH, '0.0.0.0:0')).rejects.toThrow(/refusing to listen/);
  });

  it('serves a unix socket with the configured file mode', async () => {
    const sock = join(dir, 'ari.sock');
    writeFileSync(sock, 'not a socket');
    await expect(serve(MATH, `unix:${sock}`)).rejects.toThrow(/exists and is not a socket/);
    const sockDir = mkdtempSync(join(tmpdir(), 'ari-sock-'));
    const path = join(sockDir, 'ari.sock');
    const h = await serve(`[server]\nsocket_mode = 0o600\n${MATH}`, `unix:${path}`);
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const r = await client(h.address).executeTask(MULTIPLY);
    expect(r.status).toBe('COMPLETED');
  });
});
