// Egress on the native backend: real bwrap sandboxes reach the task's proxy session through a socket made in their netns, and nothing else.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { testProxy } from '../egress/egress-grant.js';
import { settled, startHttpsUpstream, startHttpUpstream, type Upstream } from '../egress/egress-harness.js';
import { curlLine, NET_LIMITS, netRunner, removeSandboxCa, sandboxCa, shellAgent, shellOutput } from './egress-agent.js';
import { startRuntime } from './native-helpers.js';

const UIDS: [number, number] = [2_170_000, 8];
/** Test names the proxy resolves (the sandbox never does). */
const NAMES: Record<string, string> = { 'other.test': '127.0.0.1', 'loop.test': '127.0.0.1', 'meta.test': '169.254.169.254', 'grpc.test': '127.0.0.1', 'evil.test': '127.0.0.1' };

let rt: NativeRuntime;
let http: Upstream, https: Upstream, unlisted: Upstream, grpc: Upstream;
let px: ReturnType<typeof testProxy>;
let hostTcp: Server, hostTcpHits = 0;
let udp: UdpSocket, udpHits = 0;

beforeAll(async () => {
  [http, https, unlisted, grpc] = await Promise.all([startHttpUpstream(), startHttpsUpstream(), startHttpUpstream(), startHttpUpstream()]);
  px = testProxy({
    ownListeners: [{ host: '127.0.0.1', port: grpc.port }], // stands for the daemon's gRPC port
    lookup: async (host) => {
      const ip = NAMES[host];
      if (!ip) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return [{ address: ip, family: 4 }];
    },
  });
  hostTcp = createServer((s) => { hostTcpHits++; s.destroy(); }).listen(0, '0.0.0.0');
  udp = createSocket('udp4').on('message', () => { udpHits++; }).bind(0, '0.0.0.0');
  rt = await startRuntime({ uidRange: UIDS, agentLimits: () => NET_LIMITS });
}, 60_000);

afterAll(async () => {
  await rt?.close();
  await px?.proxy.close();
  await Promise.all([http, https, unlisted, grpc].map((u) => u?.close()));
  hostTcp?.close();
  udp?.close();
  removeSandboxCa();
});

const CA = () => sandboxCa();
const allowedHttp = () => `127.0.0.1:${http.port}`;
const allowedHttps = () => `127.0.0.1:${https.port}`;

const runNet = netRunner(() => rt, () => px);

const counts = (u: Upstream) => ({ connections: u.connections, bytesIn: u.bytesIn, bytesOut: u.bytesOut });

describe('native egress through the proxy', () => {
  const NET = () => shellAgent('net-shell', [allowedHttp(), allowedHttps()]);

  it('the allowed host:port answers over plain HTTP and over HTTPS (CONNECT); bytes equal what the upstream read and wrote', async () => {
    const before = { http: counts(http), https: counts(https) };
    const r = await runNet(NET(), [
      `/usr/bin/curl -sS --max-time 10 --data-binary ping-payload-123 http://${allowedHttp()}/echo; echo " rc=$?"`,
      `/usr/bin/curl -sS --max-time 10 --cacert ${CA()} https://${allowedHttps()}/hello; echo " rc=$?"`,
    ].join('\n'), [allowedHttp(), allowedHttps()]);
    const { out } = shellOutput(r.result);
    expect(out).toContain('ping-payload-123 rc=0');
    expect(out).toContain(`hello ${allowedHttps()}`);
    await Promise.all([settled(http), settled(https)]);
    const [plain, tls] = r.report.records;
    expect(plain).toMatchObject({ kind: 'http', host: '127.0.0.1', port: http.port, decision: 'allowed', reason: 'allowlisted' });
    expect(tls).toMatchObject({ kind: 'connect', host: '127.0.0.1', port: https.port, decision: 'allowed', reason: 'allowlisted' });
    expect(http.connections - before.http.connections).toBe(1);
    expect(https.connections - before.https.connections).toBe(1);
    expect(plain!.bytesUp).toBe(http.bytesIn - before.http.bytesIn);
    expect(plain!.bytesDown).toBe(http.bytesOut - before.http.bytesOut);
    expect(tls!.bytesUp).toBe(https.bytesIn - before.https.bytesIn);
    expect(tls!.bytesDown).toBe(https.bytesOut - before.https.bytesOut);
    expect(r.report.usage).toMatchObject({ egressConnections: 2, egressBytes: plain!.bytesUp + plain!.bytesDown + tls!.bytesUp + tls!.bytesDown });
  }, 60_000);

  it('refuses and logs, with the reason: unlisted names, ports and literals, internal and own addresses, a mismatched SNI; nothing reaches those upstreams', async () => {
    const allow = [allowedHttp(), allowedHttps(), `loop.test:${unlisted.port}`, 'meta.test:80', `grpc.test:${grpc.port}`, `127.0.0.1:${grpc.port}`];
    const tries: Array<[string, string, string, number, string]> = [ // tag, curl args, host, port, reason
      ['name', `http://other.test:${http.port}/`, 'other.test', http.port, 'not_allowlisted'],
      ['name-tls', `--cacert ${CA()} https://other.test:${https.port}/`, 'other.test', https.port, 'not_allowlisted'],
      ['port', `http://127.0.0.1:${unlisted.port}/`, '127.0.0.1', unlisted.port, 'not_allowlisted'],
      ['ip', 'http://10.9.8.7:80/', '10.9.8.7', 80, 'not_allowlisted'],
      ['loop', `http://loop.test:${unlisted.port}/`, 'loop.test', unlisted.port, 'refused_address'],
      ['meta', 'http://meta.test:80/', 'meta.test', 80, 'refused_address'],
      ['grpc', `http://grpc.test:${grpc.port}/`, 'grpc.test', grpc.port, 'own_listener'],
      ['grpc-ip', `http://127.0.0.1:${grpc.port}/`, '127.0.0.1', grpc.port, 'own_listener'],
      ['sni', `--cacert ${CA()} --connect-to evil.test:${https.port}:127.0.0.1:${https.port} https://evil.test:${https.port}/hello`, '127.0.0.1', https.port, 'sni_mismatch'],
    ];
    const before = [http, https, unlisted, grpc].map((u) => u.connections);
    const r = await runNet(NET(), tries.map(([tag, args]) => curlLine(tag, args)).join('\n'), allow);
    const { out } = shellOutput(r.result);
    for (const [tag, , host, port, reason] of tries) {
      expect(out, tag).toMatch(new RegExp(`${tag} code=\\d+ rc=[1-9]|${tag} code=403 rc=0`));
      const rec = r.report.records.find((x) => x.host === host && x.port === port && x.reason === reason);
      expect(rec, `${tag}: ${JSON.stringify(r.report.records)}`).toMatchObject({ decision: 'denied', reason, bytesUp: 0, bytesDown: 0 });
    }
    expect(r.report.records.every((x) => x.decision === 'denied')).toBe(true);
    expect(r.report.usage.egressConnections).toBe(0);
    expect([http, https, unlisted, grpc].map((u) => u.connections)).toEqual(before);
  }, 60_000);

  it('a raw TCP connect, a UDP packet and a DNS query from inside fail in the kernel (only lo exists); nothing reaches the host', async () => {
    const hostIp = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!hostIp) throw new Error('this test needs a non-loopback IPv4 address on the host (to aim bypass attempts at)');
    const tcpPort = (hostTcp.address() as AddressInfo).port;
    const udpPort = udp.address().port;
    const before = { http: http.connections, tcp: hostTcpHits, udp: udpHits };
    const r = await runNet(NET(), [
      `nc -w 2 127.0.0.1 ${http.port} </dev/null; echo "tcp-lo rc=$?"`,
      `nc -w 2 ${hostIp} ${tcpPort} </dev/null; echo "tcp-host rc=$?"`,
      `nslookup probe.test ${hostIp}:${udpPort}; echo "udp rc=$?"`,
      `nslookup example.com; echo "dns rc=$?"`,
      `nslookup example.com 8.8.8.8; echo "dns-ext rc=$?"`,
    ].join('\n'), [allowedHttp()]);
    const { out } = shellOutput(r.result);
    for (const tag of ['tcp-lo', 'tcp-host', 'udp', 'dns', 'dns-ext']) expect(out, out).toMatch(new RegExp(`${tag} rc=[1-9]`));
    expect(out).toMatch(/127\.0\.0\.1\)?: Connection refused/); // the sandbox's own loopback: the upstream is not there
    expect(out.match(/Network is unreachable/g)?.length, out).toBeGreaterThanOrEqual(3);
    await new Promise((res) => setTimeout(res, 200)); // a stray datagram would have arrived by now
    expect({ http: http.connections, tcp: hostTcpHits, udp: udpHits }).toEqual(before);
    expect(r.report.records).toEqual([]); // none of it went through the proxy either
  }, 60_000);

  it('an agent with no policy still has no network: no proxy env, inet sockets refused, nothing reaches the upstream', async () => {
    const before = http.connections;
    const r = await runNet(shellAgent('plain-shell', undefined), `echo "proxy=[$http_proxy]"; ${curlLine('direct', `--noproxy '*' http://${allowedHttp()}/`)}`, null);
    const { out } = shellOutput(r.result);
    expect(out).toContain('proxy=[]');
    expect(out).toMatch(/direct code=000 rc=[1-9]/);
    expect(http.connections).toBe(before);
  }, 60_000);
});

describe('native egress budgets and attribution', () => {
  const NET = () => shellAgent('net-shell', [allowedHttp()]);

  it('egress_bytes crossed mid-download ends the task as NETWORK_LIMIT promptly', async () => {
    const LIMIT = 300_000;
    http.timeline.length = 0;
    const r = await runNet(NET(), `/usr/bin/curl -sS --max-time 20 -o /dev/null http://${allowedHttp()}/download?bytes=16777216\\&chunk=16384\\&gapMs=2; echo "rc=$?"`, [allowedHttp()], { egressBytes: LIMIT });
    expect(r.result.status, r.result.error?.message).toBe('NETWORK_LIMIT');
    expect(r.result.error?.message).toContain('egress_bytes');
    expect(r.report.ended).toBe('egress_bytes');
    expect(r.report.usage.egressBytes).toBe(LIMIT);
    const rec = r.report.records[0]!;
    // The upstream's write that carried the crossing byte (the response head counts too: this errs early, never late).
    const crossing = http.timeline.find(([sent]) => sent >= LIMIT - rec.bytesUp - 1024)![1];
    const fromUpstream = r.endedAt - crossing;
    const fromLimit = r.endedAt - r.limitAt!;
    console.log(`native egress_bytes: upstream crossing write → task ended ${fromUpstream.toFixed(1)} ms (onLimit → ended ${fromLimit.toFixed(1)} ms)`);
    expect(fromUpstream).toBeLessThan(2000);
    await settled(http);
  }, 60_000);

  it('egress_connections crossed ends the task as NETWORK_LIMIT promptly; the connection beyond it never reaches the upstream', async () => {
    const before = http.connections;
    const sh = [1, 2, 3].map((i) => `/usr/bin/curl -sS --max-time 10 -o /dev/null http://${allowedHttp()}/hello; echo "get${i} rc=$?"`).join('\n') + '\nsleep 5';
    const r = await runNet(NET(), sh, [allowedHttp()], { egressConnections: 2 });
    expect(r.result.status, r.result.error?.message).toBe('NETWORK_LIMIT');
    expect(r.result.error?.message).toContain('egress_connections');
    expect(r.report.ended).toBe('egress_connections');
    const fromLimit = r.endedAt - r.limitAt!;
    console.log(`native egress_connections: onLimit → task ended ${fromLimit.toFixed(1)} ms`);
    expect(fromLimit).toBeLessThan(2000);
    expect(http.connections - before).toBe(2);
    expect(r.report.records.filter((x) => x.decision === 'allowed')).toHaveLength(2);
  }, 60_000);

  it('two tasks of one agent at once: each one\'s connections and bytes are attributed to it alone', async () => {
    await settled(http);
    const before = counts(http);
    const a = NET();
    const [one, two] = await Promise.all([
      runNet(a, [1, 2, 3].map(() => `/usr/bin/curl -sS --max-time 10 -o /dev/null http://${allowedHttp()}/hello`).join('\n'), [allowedHttp()]),
      runNet(a, `/usr/bin/curl -sS --max-time 10 -o /dev/null http://${allowedHttp()}/download?bytes=200000`, [allowedHttp()]),
    ]);
    for (const r of [one, two]) expect(r.result.status, r.result.error?.message).toBe('COMPLETED');
    await settled(http);
    expect(one.report.usage.egressConnections).toBe(3);
    expect(two.report.usage.egressConnections).toBe(1);
    expect(one.report.records.every((x) => x.taskId === one.report.records[0]!.taskId)).toBe(true);
    expect(one.report.records[0]!.taskId).not.toBe(two.report.records[0]!.taskId);
    expect(one.report.usage.bytesDown).toBeLessThan(2000);
    expect(two.report.usage.bytesDown).toBeGreaterThan(200_000);
    expect(http.connections - before.connections).toBe(4);
    expect(one.report.usage.bytesUp + two.report.usage.bytesUp).toBe(http.bytesIn - before.bytesIn);
    expect(one.report.usage.bytesDown + two.report.usage.bytesDown).toBe(http.bytesOut - before.bytesOut);
  }, 60_000);
});

describe('native egress start-up', () => {
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
  const TRIVIAL = 'echo ok';

  it('a pooled sandbox of a network agent is spawned with the proxy env and serves its task through the proxy', async () => {
    const a = shellAgent('net-pooled', [allowedHttp()], { pool: 1 });
    await rt.prepare(a);
    const pool = rt.pool(a.id)!;
    expect(await pool.filled(20_000)).toBe(true);
    const before = http.connections;
    const run = runNet(a, `${curlLine('pooled', `http://${allowedHttp()}/hello`)}`, [allowedHttp()]);
    expect(pool.readyCount).toBe(0); // the task took the pooled sandbox
    const r = await run;
    expect(shellOutput(r.result).out).toContain('pooled code=200 rc=0');
    expect(http.connections - before).toBe(1);
    expect(r.report.records[0]).toMatchObject({ decision: 'allowed', port: http.port });
    // Hand-over cost once the pool is full again: no listener is made on the task's path.
    const hot: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await pool.filled(20_000)).toBe(true);
      const h = await runNet(a, TRIVIAL, [allowedHttp()]);
      expect(shellOutput(h.result).out).toBe('ok');
      hot.push(h.endedAt - h.startedAt);
    }
    // The same agent without network, pooled, for comparison (same script, same host load).
    const b = shellAgent('plain-pooled', undefined, { pool: 1 });
    await rt.prepare(b);
    const plain: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await rt.pool(b.id)!.filled(20_000)).toBe(true);
      const h = await runNet(b, TRIVIAL, null);
      expect(shellOutput(h.result).out).toBe('ok');
      plain.push(h.endedAt - h.startedAt);
    }
    console.log(`pooled hand-over → result median: network agent ${median(hot).toFixed(1)} ms (${hot.map((x) => x.toFixed(0)).join(', ')}), no network ${median(plain).toFixed(1)} ms (${plain.map((x) => x.toFixed(0)).join(', ')})`);
  }, 120_000);

  it('an idle pooled network sandbox reaches nothing before its task: its early proxy request is dropped, unlogged', async () => {
    const early = `printf 'GET http://${allowedHttp()}/hello HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | nc -w 2 127.0.0.1 3128 > /tmp/early 2>&1; echo "early rc=$?" >> /tmp/early`;
    const a = shellAgent('net-early', [allowedHttp()], { pool: 1 }, `usleep 500000; ${early}`);
    const before = http.connections;
    await rt.prepare(a);
    expect(await rt.pool(a.id)!.filled(20_000)).toBe(true);
    await new Promise((res) => setTimeout(res, 2500)); // the idle agent has made its attempt by now
    expect(http.connections).toBe(before);
    const r = await runNet(a, `cat /tmp/early; ${curlLine('task', `http://${allowedHttp()}/hello`)}`, [allowedHttp()]);
    const { out } = shellOutput(r.result);
    console.log(`idle pooled agent's early proxy request: ${JSON.stringify(out.split('task code=')[0])}`);
    expect(out).not.toContain('hello'); // the early request got no answer
    expect(out).toContain('task code=200 rc=0');
    expect(http.connections - before).toBe(1);
    expect(r.report.records).toHaveLength(1);
  }, 120_000);

  it('measures the added cold-start cost of a network sandbox (the listener made in its netns)', async () => {
    const a = shellAgent('net-cold', [allowedHttp()]);
    const plain: number[] = [];
    const net: number[] = [];
    for (let i = 0; i < 5; i++) {
      const p = await runNet(a, TRIVIAL, null);
      expect(shellOutput(p.result).out).toBe('ok');
      plain.push(p.endedAt - p.startedAt);
      const n = await runNet(a, TRIVIAL, [allowedHttp()]);
      expect(shellOutput(n.result).out).toBe('ok');
      net.push(n.endedAt - n.startedAt);
    }
    console.log(`native cold start: no network median ${median(plain).toFixed(1)} ms, network median ${median(net).toFixed(1)} ms, added ${(median(net) - median(plain)).toFixed(1)} ms`);
    expect(median(net)).toBeLessThan(10_000); // sanity only: the figure above is the measurement
  }, 120_000);
});
