// Half-open connections (half an HTTP/2 preface, then silence) are closed by the handshake deadline and bounded
// per peer and in total, while a normal client's ExecuteTask and health checks keep being answered.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { connectAri, type AriClient } from '../../src/client/ari-client.js';
import { silentLogger } from '../../src/observability/logger.js';
import { FIXTURES } from '../helpers/test-daemon.js';
import { makePki } from './certs.js';

const HALF_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n').subarray(0, 12);
const HANDSHAKE_MS = 2_000;
const FLOOD = join(import.meta.dirname, 'half-open-flood.mjs');

interface Running { handle: DaemonHandle; client: AriClient; health: grpc.Client & Record<string, Function>; port: number }

/** `plain` = connect the normal clients (cleartext only). */
async function start(server: string, plain = true): Promise<Running> {
  const toml = `[server]\nlisten = "127.0.0.1:0"\nmetrics = "127.0.0.1:0"\n${server}\n[runtimes.wasm]\nworkers = 1\n` +
    `[[agents]]\nid = "math"\nruntime = "wasm"\nmodule = "${FIXTURES}/math/math.wasm"\nmanifest = "${FIXTURES}/math/manifest.json"\n`;
  const handle = await startDaemon({ config: parseConfig(toml, '/tmp/half-open.toml', '/tmp'), logger: silentLogger });
  const client = connectAri(handle.address);
  if (plain) await client.waitForReady(5_000);
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { enums: String })) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
  const health = new pkg.grpc.health.v1.Health(handle.address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;
  return { handle, client, health, port: Number(handle.address.split(':').pop()) };
}

const check = (r: Running) => new Promise<string>((resolve, reject) =>
  r.health.check!({ service: '' }, { deadline: Date.now() + 5_000 }, (e: Error | null, res: { status: string }) => (e ? reject(e) : resolve(res.status))));

/** Opens `n` connections from `from` (another loopback address = another peer) that send half a preface. */
async function halfOpen(port: number, n: number, from: string): Promise<{ sockets: Socket[]; closedAt: Map<Socket, number>; openedAt: Map<Socket, number> }> {
  const sockets: Socket[] = [];
  const closedAt = new Map<Socket, number>();
  const openedAt = new Map<Socket, number>();
  const batch = 250;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, localAddress: from });
      s.on('error', () => {});
      s.once('close', () => { closedAt.set(s, Date.now()); resolve(); });
      s.once('connect', () => { openedAt.set(s, Date.now()); s.write(HALF_PREFACE); resolve(); });
      sockets.push(s);
    })));
  }
  return { sockets, closedAt, openedAt };
}

/** Waits until the daemon counts `n` open connections. */
async function waitOpen(r: Running, n: number): Promise<void> {
  const end = Date.now() + 5_000;
  while (Date.now() < end && !(await metric(r, 'ari_grpc_connections_open')).endsWith(` ${n}`)) await new Promise((res) => setTimeout(res, 50));
}

async function metric(r: Running, name: string): Promise<string> {
  const text = await (await fetch(`http://${r.handle.metricsAddress}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).join('\n');
}

/** Keeps a normal client busy (ExecuteTask and health) until stopped; returns every latency and any failure. */
function normalTraffic(r: Running) {
  const latencies: { health: number[]; execute: number[] } = { health: [], execute: [] };
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      let t = performance.now();
      await check(r).then((s) => { if (s !== 'SERVING') failures.push(`health ${s}`); }, (e: Error) => failures.push(`health: ${e.message}`));
      latencies.health.push(performance.now() - t);
      t = performance.now();
      await r.client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":"add","operands":[2,3]}' }, { deadlineMs: 5_000 })
        .then((res) => { if (res.status !== 'COMPLETED') failures.push(`execute ${res.status}`); }, (e: Error) => failures.push(`execute: ${e.message}`));
      latencies.execute.push(performance.now() - t);
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  return { latencies, failures, stop: async () => { running = false; await loop; } };
}

/** Polls until `done()` or `ms` pass (closes reach the client late on a loaded host). */
async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

describe('handshake deadline', () => {
  let r: Running;
  beforeAll(async () => { r = await start(`handshake_timeout = "${HANDSHAKE_MS}ms"\nmax_connections = 12000\nmax_connections_per_peer = 6000`); });
  afterAll(async () => { r?.client.close(); r?.health.close(); await r?.handle.stop(); });

  it('5,000 half-handshake connections are all closed within the deadline; ExecuteTask and health answered throughout', async () => {
    const traffic = normalTraffic(r);
    // The flood runs in its own process, so the daemon's event loop is measured, not the flood's.
    const child = spawn(process.execPath, [FLOOD, String(r.port), '5000', '127.0.0.2', String(HANDSHAKE_MS + 20_000)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    await new Promise((res) => child.once('exit', res));
    await traffic.stop();
    const f = JSON.parse(out) as { connected: number; closed: number; failed: number; allOpenMs: number; lastCloseMs: number; lifetimes: number[] };
    console.log(`5000 half-open: all open after ${f.allOpenMs} ms, all closed ${f.lastCloseMs} ms after the first connect; lifetime p50 ${pct(f.lifetimes, 0.5)} ms max ${Math.max(...f.lifetimes)} ms; ` +
      `health p50 ${pct(traffic.latencies.health, 0.5).toFixed(1)} ms p99 ${pct(traffic.latencies.health, 0.99).toFixed(1)} ms max ${Math.max(...traffic.latencies.health).toFixed(1)} ms (${traffic.latencies.health.length} checks); ` +
      `ExecuteTask p50 ${pct(traffic.latencies.execute, 0.5).toFixed(1)} ms max ${Math.max(...traffic.latencies.execute).toFixed(1)} ms`);
    expect(f.connected, 'connections the kernel accepted').toBe(5_000);
    expect(f.closed, 'connections closed by the daemon').toBe(5_000);
    // Generous sanity bound: the deadline plus 4 s of slack on a loaded 2-core host.
    expect(Math.max(...f.lifetimes)).toBeLessThan(HANDSHAKE_MS + 4_000);
    expect(traffic.failures.slice(0, 5)).toEqual([]);
    expect(traffic.latencies.health.length).toBeGreaterThan(5);
    expect(await metric(r, 'ari_grpc_connections_rejected_total{reason="handshake_timeout"}')).toMatch(/ 5000$/);
    expect(await metric(r, 'ari_grpc_connections_open')).toMatch(/ [1-9]\d?$/); // the two normal clients' channels
  }, 60_000);

  it('a client that sends a wrong preface is closed at once', async () => {
    const s = connect({ host: '127.0.0.1', port: r.port });
    s.on('error', () => {});
    const t = Date.now();
    s.write('GET / HTTP/1.1\r\n\r\n');
    await new Promise((res) => s.once('close', res));
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(await metric(r, 'ari_grpc_connections_rejected_total{reason="bad_preface"}')).toMatch(/ 1$/);
  });
});

describe('connection bounds', () => {
  let r: Running;
  beforeAll(async () => { r = await start('handshake_timeout = "30s"\nmax_connections = 300\nmax_connections_per_peer = 100'); });
  afterAll(async () => { r?.client.close(); r?.health.close(); await r?.handle.stop(); });

  it('one peer gets max_connections_per_peer, the rest are closed on accept; other peers are served', async () => {
    const flood = await halfOpen(r.port, 400, '127.0.0.2');
    await until(() => flood.closedAt.size >= 300, 5_000);
    await new Promise((res) => setTimeout(res, 200)); // and no more than that
    expect(400 - flood.closedAt.size, 'connections of one peer left open').toBe(100);
    expect(await check(r)).toBe('SERVING');
    const res = await r.client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":"add","operands":[2,3]}' });
    expect(res.status).toBe('COMPLETED');
    expect(await metric(r, 'ari_grpc_connections_rejected_total{reason="max_connections_per_peer"}')).toMatch(/ 300$/);
    for (const s of flood.sockets) s.destroy();
  });

  it('past max_connections new connections are closed on accept, and served again once there is room', async () => {
    await waitOpen(r, 2); // the previous case's flood is gone
    const floods = await Promise.all(['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'].map((from) => halfOpen(r.port, 100, from)));
    const closed = () => floods.reduce((n, f) => n + f.closedAt.size, 0);
    await until(() => closed() >= 102, 5_000);
    await new Promise((res) => setTimeout(res, 200));
    const open = 400 - closed();
    expect(open + 2, 'open connections: the flood plus the two normal channels').toBe(300);
    expect(await metric(r, 'ari_grpc_connections_rejected_total{reason="max_connections"}')).toMatch(/ [1-9]\d*$/);
    for (const f of floods) for (const s of f.sockets) s.destroy();
    await new Promise((res) => setTimeout(res, 300));
    expect(await check(r)).toBe('SERVING');
  });
});

describe('handshake deadline with TLS', () => {
  let r: Running;
  beforeAll(async () => {
    const pki = makePki(mkdtempSync(join(tmpdir(), 'ari-half-open-tls-')));
    r = await start(`handshake_timeout = "1s"\n[auth]\ntokens = ["half-open-token-abcdefgh"]\ntls_cert = "${pki.serverCert}"\ntls_key = "${pki.serverKey}"`, false);
  });
  afterAll(async () => { r?.client.close(); r?.health.close(); await r?.handle.stop(); });

  it('a connection that stalls in the TLS handshake is closed after the deadline', async () => {
    const s = connect({ host: '127.0.0.1', port: r.port });
    s.on('error', () => {});
    await new Promise((res) => s.once('connect', res));
    const t = Date.now();
    s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // the start of a ClientHello, then silence
    await new Promise((res) => s.once('close', res));
    const lived = Date.now() - t;
    console.log(`TLS half-handshake closed after ${lived} ms (deadline 1000 ms)`);
    expect(lived).toBeGreaterThanOrEqual(900);
    expect(lived).toBeLessThan(1_000 + 4_000);
  });
});
