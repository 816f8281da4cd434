// Health that stays true: ari.docker follows a Docker engine that goes away and comes back (through a unix
// socket proxy to the real engine that the test closes and reopens), ari.wasm stays SERVING, /readyz agrees,
// a dead `host` is named in the reason, and on SIGTERM every service turns NOT_SERVING before the drain ends.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { protoPath as healthProto } from 'grpc-health-check';
import { afterAll, describe, expect, it } from 'vitest';
import { connectAri } from '../../src/client/ari-client.js';
import { FIXTURES, REPO } from '../helpers/test-daemon.js';

const ENGINE = '/var/run/docker.sock';
const dir = mkdtempSync(join(tmpdir(), 'ari-health-'));
const children: ChildProcess[] = [];
afterAll(() => { for (const c of children) c.kill('SIGKILL'); });

/** A byte-for-byte proxy from a socket of ours to the real engine: closing it is "the engine stopped". */
function engineProxy(path: string): { open(): Promise<void>; close(): Promise<void> } {
  let server: Server | undefined;
  const conns = new Set<import('node:net').Socket>();
  return {
    open: () => new Promise<void>((resolve, reject) => {
      if (existsSync(path)) rmSync(path);
      // Half-open both ways: the engine's attach stream reads stdin to its end, then still answers.
      server = createServer({ allowHalfOpen: true }, (c) => {
        const up = connect({ path: ENGINE, allowHalfOpen: true });
        conns.add(c).add(up);
        c.pipe(up).pipe(c);
        const fail = () => { c.destroy(); up.destroy(); };
        c.on('error', fail).on('close', () => conns.delete(c));
        up.on('error', fail).on('close', () => conns.delete(up));
      });
      server.once('error', reject);
      server.listen(path, () => resolve());
    }),
    close: () => new Promise<void>((resolve) => {
      for (const c of conns) c.destroy();
      server?.close(() => resolve());
    }),
  };
}

function healthClient(address: string) {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { keepCase: true, enums: String, defaults: true })) as any;
  const client = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  const check = (service: string) => new Promise<string>((resolve, reject) =>
    client.Check({ service }, { deadline: Date.now() + 5_000 }, (e: Error | null, r: any) => (e ? reject(e) : resolve(r.status))));
  return { check, close: () => client.close() };
}

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  let last: T | undefined;
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    try { last = await f(); if (ok(last)) return last; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
}

async function serve(name: string, dockerHost: string, extra = '', agents = ''): Promise<{ child: ChildProcess; sock: string; metrics: string; log: () => string }> {
  const sock = join(dir, `${name}.sock`);
  const metricsPort = await new Promise<number>((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as any).port; s.close(() => r(p)); }); });
  const config = join(dir, `${name}.toml`);
  writeFileSync(config, `[server]\nlisten = "unix:${sock}"\nmetrics = "127.0.0.1:${metricsPort}"\nhealth_interval = "200ms"\nshutdown_grace = "20s"\n${extra}
[storage]\npath = ""\n[runtimes.docker]\nhost = "${dockerHost}"\n
[[agents]]\nid = "math"\nruntime = "wasm"\nmodule = "${FIXTURES}/math/math.wasm"\nmanifest = "${FIXTURES}/math/manifest.json"\n
[[agents]]\nid = "loop"\nruntime = "wasm"\nmodule = "${FIXTURES}/wasm-hostile/loop.wasm"\nmanifest = "${FIXTURES}/wasm-hostile/manifest.json"\n[agents.limits]\ntimeout_ms = "3s"\nfuel = 1000000000000\n${agents}`);
  const child = spawn(process.execPath, [join(REPO, 'bin/ari.js'), 'serve', '--config', config], {
    cwd: REPO, env: { ...process.env, ARI_FROM_SOURCE: '1', ARI_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (c) => { log += c; });
  await until('ari serving', async () => log.includes('ari serving') || child.exitCode !== null, (v) => v, 60_000);
  if (child.exitCode !== null) throw new Error(`ari serve exited:\n${log}`);
  return { child, sock, metrics: `http://127.0.0.1:${metricsPort}`, log: () => log };
}

describe('health services follow the backends', () => {
  it('a dead Docker host: ari.docker NOT_SERVING (reason names the address), ari.wasm SERVING', async () => {
    const dead = `unix://${join(dir, 'nothing-listens-here.sock')}`;
    const d = await serve('dead', dead);
    const h = healthClient(`unix:${d.sock}`);
    expect(await h.check('ari.docker')).toBe('NOT_SERVING');
    expect(await h.check('ari.wasm')).toBe('SERVING');
    expect(await h.check('')).toBe('SERVING');
    const client = connectAri(`unix:${d.sock}`);
    const docker = (await client.getHealth()).backends.find((b) => b.runtime === 'docker')!;
    client.close();
    expect(docker.available).toBe(false);
    expect(docker.reason).toContain(dead);
    const metrics = await (await fetch(`${d.metrics}/metrics`)).text();
    expect(metrics).toContain('ari_backend_up{runtime="docker"} 0');
    expect(metrics).toContain('ari_backend_up{runtime="wasm"} 1');
    h.close();
    d.child.kill('SIGTERM');
  }, 90_000);

  it('ari.docker goes NOT_SERVING when the engine stops answering and SERVING when it is back; SIGTERM turns every service NOT_SERVING', async () => {
    const proxyPath = join(dir, 'engine-proxy.sock');
    const proxy = engineProxy(proxyPath);
    await proxy.open();
    const d = await serve('live', `unix://${proxyPath}`);
    const h = healthClient(`unix:${d.sock}`);
    expect(await until('docker up', () => h.check('ari.docker'), (s) => s === 'SERVING')).toBe('SERVING');
    await proxy.close();
    expect(await until('docker down', () => h.check('ari.docker'), (s) => s === 'NOT_SERVING')).toBe('NOT_SERVING');
    expect(await h.check('ari.wasm')).toBe('SERVING');
    expect(d.log()).toContain('backend became unavailable');
    await proxy.open();
    expect(await until('docker back', () => h.check('ari.docker'), (s) => s === 'SERVING', 60_000)).toBe('SERVING');
    expect((await fetch(`${d.metrics}/readyz`)).status).toBe(200);

    // A task that runs ~3 s keeps the drain going while the services are checked.
    const client = connectAri(`unix:${d.sock}`);
    const running = client.submitTask({ agent_id: 'loop', capability: 'run', input: '{}' });
    await running;
    await new Promise((r) => setTimeout(r, 300));
    d.child.kill('SIGTERM');
    await until('draining', async () => d.log().includes('shutting down'), (v) => v, 10_000);
    for (const svc of ['', 'ari.v1.AgentRuntime', 'ari.wasm', 'ari.native', 'ari.docker']) {
      expect(await h.check(svc), `service "${svc}"`).toBe('NOT_SERVING');
    }
    expect((await fetch(`${d.metrics}/readyz`)).status).toBe(503);
    client.close();
    h.close();
    await proxy.close();
  }, 180_000);

  it('an agent whose engine was down at start runs once the engine is back', async () => {
    const proxyPath = join(dir, 'late-engine.sock');
    const proxy = engineProxy(proxyPath);
    const d = await serve('late', `unix://${proxyPath}`, '', `\n[[agents]]\nid = "math-docker"\nruntime = "docker"\nimage = "ari-fixtures/math:1"\nmanifest = "${FIXTURES}/math/manifest.json"\n`);
    const client = connectAri(`unix:${d.sock}`);
    const task = { agent_id: 'math-docker', capability: 'arithmetic', input: '{"operation":"multiply","operands":[6,7]}' };
    await expect(client.executeTask(task)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await proxy.open();
    const h = healthClient(`unix:${d.sock}`);
    await until('docker up', () => h.check('ari.docker'), (s) => s === 'SERVING', 60_000);
    await until('agent loaded', async () => d.log().includes('"agent_id":"math-docker","runtime":"docker","msg":"agent ready"'), (v) => v, 60_000);
    const r = await client.executeTask(task);
    expect(r.status, JSON.stringify(r.error)).toBe('COMPLETED');
    client.close();
    h.close();
    d.child.kill('SIGTERM');
    await new Promise((r) => d.child.once('exit', r));
    await proxy.close();
  }, 180_000);
});
