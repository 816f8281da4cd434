// `ari serve` start and stop (issue 16): a listener that cannot bind fails the whole start, naming it, fast and
// leaving nothing behind; SIGTERM drains in-flight native tasks and records them; a second signal forces.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildDaemon, FIXTURES, REPO } from './child-daemon.js';

const BIN = join(REPO, 'bin/ari.js');
const dir = mkdtempSync(join(tmpdir(), 'ari-start-'));
const held: Server[] = [];
afterAll(() => { for (const s of held) s.close(); });

async function holdPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  held.push(s);
  return (s.address() as { port: number }).port;
}

/**
 * Runs `ari serve` to its exit: code, everything it printed, and how long it lived after its 'ari starting' line
 * (the start itself; loading the sources through tsx before it is a from-source cost, reported apart).
 */
async function serveToExit(toml: string, args: string[] = []) {
  const config = join(dir, `ari-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(config, toml);
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, ...args], { env: { ...process.env, ARI_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let firstLine: number | undefined;
  const spawned = Date.now();
  const onData = (b: Buffer) => { out += b.toString(); if (out.includes('ari starting')) firstLine ??= Date.now(); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  const now = Date.now();
  return { code, out, sinceSpawnMs: now - spawned, sinceFirstLineMs: now - (firstLine ?? spawned) };
}

const NATIVE = `[runtimes.native]\nuid_start = 2300000\nuid_count = 8\n`;

describe('a listener that cannot bind fails the start', () => {
  it('metrics port taken: exits non-zero within 2 s naming the metrics listener and address', async () => {
    const port = await holdPort();
    const r = await serveToExit(`[server]\nlisten = "127.0.0.1:0"\nmetrics = "127.0.0.1:${port}"\n[storage]\npath = ""\n${NATIVE}`);
    console.log(`metrics port taken: exit ${r.code} ${r.sinceSpawnMs} ms after spawn (${r.sinceFirstLineMs} ms after 'ari starting')`);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain(`metrics listener 127.0.0.1:${port}: address already in use`);
    expect(r.sinceFirstLineMs).toBeLessThan(2_000);
    expect(r.out).not.toContain('ari serving');
  }, 30_000);

  it('gRPC port taken: exits non-zero naming the gRPC listener', async () => {
    const port = await holdPort();
    const r = await serveToExit(`[server]\nmetrics = ""\n[storage]\npath = ""\n${NATIVE}`, ['--listen', `127.0.0.1:${port}`]);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain(`gRPC listener 127.0.0.1:${port}: address already in use`);
    expect(r.sinceFirstLineMs).toBeLessThan(2_000);
  }, 30_000);
});

const SLEEPER = `${NATIVE}
[[agents]]
id = "sleeper"
runtime = "native"
command = ["${FIXTURES}/native-hostile/hostile"]
manifest = "${FIXTURES}/native-hostile/manifest.json"
pool = 1
`;

describe('signals', () => {
  it('SIGTERM with a native task in flight: drains, records its outcome, exits 0', async () => {
    const data = join(dir, 'drain');
    const toml = `[server]\nmetrics = ""\nshutdown_grace = "10s"\n[storage]\npath = "${data}"\n${SLEEPER}`;
    const d = await startChildDaemon(mkdtempSync(join(dir, 'd-')), toml);
    const c = d.client();
    await c.submitTask({ task_id: 'drained', agent_id: 'sleeper', capability: 'run', input: '{"mode":"sleep","seconds":1}' });
    await new Promise((res) => setTimeout(res, 300));
    const t = Date.now();
    const exit = await d.kill('SIGTERM');
    c.close();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t).toBeLessThan(10_000 + 5_000);
    const again = await startChildDaemon(mkdtempSync(join(dir, 'd-')), toml);
    const c2 = again.client();
    const r = await c2.getTask('drained');
    c2.close();
    await again.kill('SIGTERM');
    expect(r.status).toBe('COMPLETED');
  }, 90_000);

  it('a second SIGTERM during the drain forces the exit at once', async () => {
    const toml = `[server]\nmetrics = ""\nshutdown_grace = "30s"\n[storage]\npath = ""\n${SLEEPER}`;
    const d = await startChildDaemon(mkdtempSync(join(dir, 'd-')), toml);
    const c = d.client();
    await c.submitTask({ agent_id: 'sleeper', capability: 'run', input: '{"mode":"sleep","seconds":60}' });
    await new Promise((res) => setTimeout(res, 300));
    process.kill(d.pid, 'SIGTERM');
    await new Promise((res) => setTimeout(res, 500));
    const t = Date.now();
    const exit = await d.kill('SIGTERM');
    c.close();
    expect(exit.code).toBe(130);
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(d.logs.some((l) => l.msg === 'second signal: forced exit')).toBe(true);
  }, 60_000);
});
