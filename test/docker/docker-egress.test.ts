// Egress on the Docker backend (issue 13): a network task's container sits on the internal egress network and
// reaches only its own proxy endpoint; everything else — other destinations, raw TCP, UDP, DNS, another task's
// endpoint — is refused, logged where the proxy sees it, and never reaches the upstream.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitAbort } from '../../src/contract/abort-reason.js';
import type { AgentSpec } from '../../src/contract/agent.js';
import type { EgressRecord } from '../../src/egress/audit-log.js';
import type { EgressReport } from '../../src/egress/egress-proxy.js';
import type { EgressBudgets } from '../../src/egress/session.js';
import { containerSpec } from '../../src/runtimes/docker/container-spec.js';
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { chainOf } from '../../src/runtimes/docker/egress-firewall.js';
import { LABEL_BRIDGE } from '../../src/runtimes/docker/egress-network.js';
import { settled, startHttpUpstream, startHttpsUpstream, testPki, type Upstream } from '../egress/egress-harness.js';
import { testProxy } from '../egress/egress-grant.js';
import { containersOf, drained, engine, hostileAgent, hostileTask, LIMITS, never, REPO, requireEngine } from './docker-harness.js';
import { buildEgressImage, probeScript, removeImage } from './egress-image.js';

const DAEMON = `test-egress-${process.pid}`;
const IMAGE = `ari-test/egress-curl:${process.pid}`;
const CURL = "/usr/bin/curl -sS --max-time 5 --cacert /ca.pem -o /dev/null -w '%{http_code} %{size_download}'";
const NC = '/bin/busybox nc -w 2';

let rt: DockerRuntime;
let http: Upstream;
let https: Upstream;
/** Raw listeners on every host address: what a bypass would reach. */
let raw: { server: Server; port: number; connections: number };
let udp: { socket: UdpSocket; port: number; datagrams: number };
let own: { server: Server; port: number; connections: number };
let tp: ReturnType<typeof testProxy>;

async function counting(host: string): Promise<{ server: Server; port: number; connections: number }> {
  const c = { server: createServer((s) => { c.connections++; s.destroy(); }), port: 0, connections: 0 };
  c.server.listen(0, host);
  await once(c.server, 'listening');
  c.port = (c.server.address() as AddressInfo).port;
  return c;
}

beforeAll(async () => {
  await requireEngine();
  buildEgressImage(IMAGE, testPki().ca);
  [http, https, raw, own] = await Promise.all([startHttpUpstream(), startHttpsUpstream(), counting('0.0.0.0'), counting('127.0.0.1')]);
  const socket = createSocket('udp4');
  udp = { socket, port: 0, datagrams: 0 };
  socket.on('message', () => { udp.datagrams++; });
  socket.bind(0, '0.0.0.0');
  await once(socket, 'listening');
  udp.port = socket.address().port;
  tp = testProxy({
    // Names for the resolver-based refusals; the test upstreams are named only by literal.
    lookup: async (host) => {
      const table: Record<string, string> = { 'loop.test': '127.0.0.1', 'meta.test': '169.254.169.254', 'own.test': '127.0.0.1' };
      if (table[host]) return [{ address: table[host]!, family: 4 }];
      throw Object.assign(new Error(`no such name ${host}`), { code: 'ENOTFOUND' });
    },
    ownListeners: [{ host: '127.0.0.1', port: own.port }],
  });
  rt = new DockerRuntime({ daemonId: DAEMON });
  await rt.start();
}, 120_000);

/** Whether the host filter of a bridge exists (its chain, or its INPUT jump). */
function filterExists(bridge: string): boolean {
  const chains = execFileSync('iptables', ['-w', '-S'], { encoding: 'utf8' });
  return chains.includes(`-N ${chainOf(bridge)}`) || chains.includes(`-i ${bridge} `);
}

const bridgesOf = async (daemonId: string) => (await engine.networksByLabel(`ari.daemon=${daemonId}`)).map((n) => n.labels[LABEL_BRIDGE]!);

afterAll(async () => {
  const bridges = await bridgesOf(DAEMON);
  await rt?.close();
  expect(await drained(DAEMON)).toEqual([]);
  expect(await bridgesOf(DAEMON)).toEqual([]);
  expect(bridges.filter(filterExists)).toEqual([]);
  removeImage(IMAGE);
  await Promise.all([http?.close(), https?.close()]);
  raw?.server.close();
  own?.server.close();
  udp?.socket.close();
}, 60_000);

function netAgent(script: string, allow: string[] | undefined): AgentSpec {
  return hostileAgent({ id: 'egress-docker', image: IMAGE, command: ['/bin/busybox', 'sh', '-c', script], ...(allow ? { network: { allow } } : {}) });
}

type Probes = Record<string, { rc: number; out: string }>;

/** Runs one network task the way the task service does: a grant, onLimit → LimitAbort, the session closed after. */
async function runNet(probes: Record<string, string>, allow: string[], budgets: EgressBudgets = {}, onOpen?: (port: number) => void) {
  const t = hostileTask('net', {}, { timeoutMs: 60_000 });
  const g = tp.grant(t.taskId, allow, budgets);
  const ctl = new AbortController();
  const marks = { limitAt: 0 };
  tp.onLimit.set(t.taskId, (which) => {
    marks.limitAt = performance.now();
    ctl.abort(new LimitAbort(which === 'egress_bytes' ? 'EGRESS_BYTES' : 'EGRESS_CONNECTIONS', `${which} exceeded`));
  });
  void g.opened.then((e) => onOpen?.(e.port));
  const agent = netAgent(probeScript(probes), allow);
  await rt.prepare(agent);
  const r = await rt.execute(agent, t, ctl.signal, { egress: g.grant });
  const doneAt = performance.now();
  const report = (await g.close())!;
  return { r, report, probes: (r.output ?? {}) as Probes, marks, doneAt };
}

const reasons = (report: EgressReport) => report.records.map((rec: EgressRecord) => `${rec.host}:${rec.port} ${rec.decision} ${rec.reason}`);

describe('docker egress through the proxy', () => {
  it('answers the allowed host:port over HTTP forward and HTTPS CONNECT, counting exactly the upstream bytes', async () => {
    await Promise.all([settled(http), settled(https)]);
    const before = { hIn: http.bytesIn, hOut: http.bytesOut, hC: http.connections, sIn: https.bytesIn, sOut: https.bytesOut, sC: https.connections };
    const t0 = performance.now();
    const { r, report, probes } = await runNet({
      http: `${CURL} http://127.0.0.1:${http.port}/download?bytes=200000`,
      https: `${CURL} https://127.0.0.1:${https.port}/download?bytes=300000`,
    }, [`127.0.0.1:${http.port}`, `127.0.0.1:${https.port}`]);
    console.log(`network task wall ${Math.round(performance.now() - t0)} ms (container + endpoint + 2 requests)`);
    expect(r.status, JSON.stringify(r)).toBe('COMPLETED');
    expect(probes).toEqual({ http: { rc: 0, out: '200 200000' }, https: { rc: 0, out: '200 300000' } });
    await Promise.all([settled(http), settled(https)]);
    const [h, s] = report.records;
    expect(reasons(report)).toEqual([`127.0.0.1:${http.port} allowed allowlisted`, `127.0.0.1:${https.port} allowed allowlisted`]);
    expect([h!.bytesUp, h!.bytesDown]).toEqual([http.bytesIn - before.hIn, http.bytesOut - before.hOut]);
    expect([s!.bytesUp, s!.bytesDown]).toEqual([https.bytesIn - before.sIn, https.bytesOut - before.sOut]);
    expect([http.connections - before.hC, https.connections - before.sC]).toEqual([1, 1]);
    expect(report.usage.egressBytes).toBe(h!.bytesUp + h!.bytesDown + s!.bytesUp + s!.bytesDown);
    expect(report.usage.egressConnections).toBe(2);
  }, 60_000);

  it('refuses and logs unlisted names, ports and literals, internal resolutions, own listeners and an SNI mismatch', async () => {
    const before = { h: http.connections, s: https.connections, raw: raw.connections, own: own.connections };
    const { r, report, probes } = await runNet({
      name: `${CURL} http://not-listed.test:${http.port}/`,
      port: `${CURL} http://127.0.0.1:${raw.port}/`,
      literal: `${CURL} http://127.0.0.2:${http.port}/`,
      loop: `${CURL} http://loop.test:${raw.port}/`,
      meta: `${CURL} http://meta.test/`,
      own: `${CURL} http://own.test:${own.port}/`,
      sni: `${CURL} -k --connect-to other.test:443:127.0.0.1:${https.port} https://other.test/`,
    }, [`127.0.0.1:${http.port}`, `127.0.0.1:${https.port}`, `loop.test:${raw.port}`, 'meta.test:80', `own.test:${own.port}`]);
    expect(r.status, JSON.stringify(r)).toBe('COMPLETED');
    expect(reasons(report)).toEqual([
      `not-listed.test:${http.port} denied not_allowlisted`,
      `127.0.0.1:${raw.port} denied not_allowlisted`,
      `127.0.0.2:${http.port} denied not_allowlisted`,
      `loop.test:${raw.port} denied refused_address`,
      'meta.test:80 denied refused_address',
      `own.test:${own.port} denied own_listener`,
      `127.0.0.1:${https.port} denied sni_mismatch`,
    ]);
    for (const [name, p] of Object.entries(probes)) expect(p.out.startsWith('200'), `${name}: ${JSON.stringify(p)}`).toBe(false);
    expect({ h: http.connections, s: https.connections, raw: raw.connections, own: own.connections }).toEqual(before);
  }, 60_000);

  it('has no path around the proxy: raw TCP to host addresses, UDP and DNS fail and reach nothing', async () => {
    const before = { raw: raw.connections, h: http.connections, udp: udp.datagrams };
    const host = Object.values(networkInterfaces()).flat().find((a) => a?.family === 'IPv4' && !a.internal && !a.address.startsWith('172.'))?.address;
    const { r, report, probes } = await runNet({
      tcpGateway: `${NC} $GW ${raw.port} </dev/null`,
      tcpDocker0: `${NC} 172.17.0.1 ${raw.port} </dev/null`,
      ...(host ? { tcpHost: `${NC} ${host} ${raw.port} </dev/null` } : {}),
      tcpUpstream: `${NC} $GW ${http.port} </dev/null`,
      noProxy: `${CURL} --connect-timeout 2 --noproxy '*' http://$GW:${raw.port}/`,
      udpGateway: `/udpsend $GW ${udp.port} && /bin/busybox sleep 1`,
      udpDocker0: `/udpsend 172.17.0.1 ${udp.port} && /bin/busybox sleep 1`,
      dns: '/bin/busybox timeout 3 /bin/busybox nslookup example.com >/dev/null',
      dnsGateway: '/bin/busybox timeout 3 /bin/busybox nslookup example.com $GW >/dev/null',
      ipv6Off: '/bin/busybox cat /proc/sys/net/ipv6/conf/all/disable_ipv6',
    }, [`127.0.0.1:${http.port}`]);
    expect(r.status, JSON.stringify(r)).toBe('COMPLETED');
    // No IPv6 in the container (the engine disables it on a network without IPv6); the host drops it from the bridge too.
    expect(probes.ipv6Off).toEqual({ rc: 0, out: '1' });
    for (const name of ['tcpGateway', 'tcpDocker0', 'tcpUpstream', 'noProxy', 'dns', 'dnsGateway', ...(host ? ['tcpHost'] : [])]) {
      expect(probes[name]!.rc, `${name}: ${JSON.stringify(probes[name])}`).not.toBe(0);
    }
    await new Promise((res) => setTimeout(res, 200));
    expect({ raw: raw.connections, h: http.connections, udp: udp.datagrams }).toEqual(before);
    expect(report.records).toEqual([]); // nothing went through the proxy
  }, 120_000);

  it('ends the task NETWORK_LIMIT when egress_bytes is crossed mid-download', async () => {
    const budget = 1024 * 1024;
    http.timeline.length = 0;
    const { r, report, marks, doneAt } = await runNet({
      dl: `${CURL} http://127.0.0.1:${http.port}/download?bytes=${16 * budget}&chunk=65536&gapMs=20`,
      rest: '/bin/busybox sleep 30',
    }, [`127.0.0.1:${http.port}`], { egressBytes: budget });
    expect(r.status, JSON.stringify(r)).toBe('NETWORK_LIMIT');
    expect(r.error?.code).toBe('NETWORK_LIMIT');
    expect(report.ended).toBe('egress_bytes');
    expect(report.usage.egressBytes).toBe(budget);
    const crossed = http.timeline.find(([sent]) => sent >= budget - 1024)?.[1] ?? marks.limitAt;
    console.log(`egress_bytes: onLimit → execute() answered ${Math.round(doneAt - marks.limitAt)} ms; upstream crossing chunk → answer ${Math.round(doneAt - crossed)} ms`);
    expect(marks.limitAt).toBeGreaterThan(0);
    expect(doneAt - marks.limitAt).toBeLessThan(3000);
  }, 60_000);

  it('ends the task NETWORK_LIMIT when egress_connections is crossed', async () => {
    const get = `${CURL} http://127.0.0.1:${http.port}/`;
    const before = http.connections;
    const { r, report, marks, doneAt } = await runNet({ a: get, b: get, c: get, d: get, rest: '/bin/busybox sleep 30' }, [`127.0.0.1:${http.port}`], { egressConnections: 2 });
    console.log(`egress_connections: onLimit → execute() answered ${Math.round(doneAt - marks.limitAt)} ms`);
    expect(r.status, JSON.stringify(r)).toBe('NETWORK_LIMIT');
    expect(report.ended).toBe('egress_connections');
    expect(report.usage.egressConnections).toBe(2);
    expect(http.connections - before).toBe(2);
    expect(doneAt - marks.limitAt).toBeLessThan(3000);
  }, 60_000);

  it('attributes two concurrent tasks of one agent separately; one cannot use the other\'s endpoint', async () => {
    await settled(http);
    const before = http.connections;
    const allow = [`127.0.0.1:${http.port}`];
    let aPort = 0;
    let aSawFirst!: () => void;
    const aReady = new Promise<void>((res) => { aSawFirst = res; });
    const a = runNet({ dl: `${CURL} http://127.0.0.1:${http.port}/download?bytes=100000`, wait: '/bin/busybox sleep 6' }, allow, {}, (p) => { aPort = p; aSawFirst(); });
    await aReady;
    const b = runNet({
      steal: `${CURL} -x http://$GW:${aPort} http://127.0.0.1:${http.port}/download?bytes=50000`,
      dl1: `${CURL} http://127.0.0.1:${http.port}/download?bytes=300000`,
      dl2: `${CURL} http://127.0.0.1:${http.port}/download?bytes=300000`,
    }, allow);
    const [ra, rb] = await Promise.all([a, b]);
    expect([ra.r.status, rb.r.status], JSON.stringify([ra.r, rb.r])).toEqual(['COMPLETED', 'COMPLETED']);
    expect(ra.probes.dl).toEqual({ rc: 0, out: '200 100000' });
    expect(rb.probes.steal!.out.startsWith('200'), JSON.stringify(rb.probes.steal)).toBe(false);
    expect([rb.probes.dl1, rb.probes.dl2]).toEqual([{ rc: 0, out: '200 300000' }, { rc: 0, out: '200 300000' }]);
    expect(ra.report.records.map((x) => x.bytesDown > 100_000 && x.bytesDown < 101_000)).toEqual([true]);
    expect(rb.report.records.map((x) => x.bytesDown > 300_000 && x.bytesDown < 301_000)).toEqual([true, true]);
    expect(ra.report.usage.egressConnections).toBe(1);
    expect(rb.report.usage.egressConnections).toBe(2);
    expect(http.connections - before).toBe(3);
  }, 90_000);

  it('gives an agent with no policy no network at all (NetworkMode none, only lo)', async () => {
    const agent = netAgent(probeScript({ ifaces: '/bin/busybox ls /sys/class/net', tcp: `${NC} 172.17.0.1 ${raw.port} </dev/null` }), undefined);
    await rt.prepare(agent);
    const t = hostileTask('net');
    const r = await rt.execute(agent, t, never());
    expect(r.status, JSON.stringify(r)).toBe('COMPLETED');
    expect(r.output).toMatchObject({ ifaces: { rc: 0, out: 'lo' } });
    expect((r.output as Probes).tcp!.rc).not.toBe(0);
    const spec = (network?: string) => containerSpec({ image: IMAGE, volumes: [], env: {}, limits: LIMITS, daemonId: DAEMON, taskId: 't', agentId: 'a', ...(network ? { network } : {}) }).hostConfig;
    expect([spec().NetworkMode, spec().Dns]).toEqual(['none', undefined]);
    expect([spec('ari-egress-x').NetworkMode, spec('ari-egress-x').Dns]).toEqual(['ari-egress-x', ['0.0.0.0']]);
  }, 60_000);

  it('sweeps the network and host filter a killed daemon left, and not those of a live one', async () => {
    await rt.prepare(netAgent('true', ['127.0.0.1:9'])); // this runtime's network exists (created on first need)
    const mine = await bridgesOf(DAEMON);
    expect(mine.length).toBe(1);
    const doomed = `doomed-egress-${process.pid}`;
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/docker/egress-crash-child.ts'), doomed], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => { if (b.toString().includes('running')) resolve(); });
      child.on('exit', (code) => reject(new Error(`crash child exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    const left = await bridgesOf(doomed);
    expect(left.length).toBe(1);
    expect(filterExists(left[0]!)).toBe(true);

    const next = new DockerRuntime({ daemonId: `next-egress-${process.pid}` });
    await next.start();
    expect(await containersOf(doomed)).toEqual([]);
    expect(await bridgesOf(doomed)).toEqual([]);
    expect(filterExists(left[0]!)).toBe(false);
    // The live daemon's network and filter are untouched.
    expect(await bridgesOf(DAEMON)).toEqual(mine);
    expect(filterExists(mine[0]!)).toBe(true);
    await next.close();
  }, 120_000);
});

