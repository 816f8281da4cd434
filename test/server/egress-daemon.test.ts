// End to end: a real daemon, a native agent with a network policy running curl, and what gRPC and `ari task` show of it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, type Io } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { settled, startHttpUpstream, type Upstream } from '../egress/egress-harness.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const BUSYBOX = '/usr/bin/busybox';
const CURL = '/usr/bin/curl';
/** curl is dynamic: its loader and libraries (Debian, merged /usr). */
const CURL_BINDS = [CURL, '/lib64', '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu'];

let d: TestDaemon;
let allowed: Upstream;
let unlisted: Upstream;
const toml = JSON.stringify;

function captureIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), readStdin: async () => '' };
}

beforeAll(async () => {
  [allowed, unlisted] = await Promise.all([startHttpUpstream(), startHttpUpstream()]);
  const dir = mkdtempSync(join(tmpdir(), 'ari-egress-daemon-'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    name: 'Fetcher', version: '1.0.0', description: 'curls two URLs', capabilities: [{ name: 'fetch', description: '', schema: { type: 'object' } }],
  }));
  // The pause lets `--watch` subscribe before the denied attempt; the proxy env comes from the backend.
  const script = [
    'cat >/dev/null', 'sleep 1',
    `${CURL} -sS -o /dev/null -d hello http://127.0.0.1:${allowed.port}/echo`,
    `${CURL} -sS -o /dev/null http://127.0.0.1:${unlisted.port}/`,
    `printf '{"output":{"ok":true}}'`,
  ].join('; ');
  const policy = [`127.0.0.1:${allowed.port}`, 'api.example.com:443'];
  d = await startTestDaemon(`
[runtimes.native]
uid_start = 2740000
uid_count = 8

[network]
allow = ${toml(policy)}

[[agents]]
id = "fetcher"
runtime = "native"
command = ${toml([BUSYBOX, 'sh', '-c', script])}
binds = ${toml(CURL_BINDS)}
manifest = ${toml(join(dir, 'manifest.json'))}
[agents.limits]
timeout_ms = 30000
cpu_millis = 10000
[agents.network]
allow = ${toml(policy)}
`);
}, 60_000);

afterAll(async () => {
  await d?.stop();
  await Promise.all([allowed?.close(), unlisted?.close()]);
});

const submitArgs = (id: string, ...extra: string[]) => ['task', 'submit', '--target', d.handle.address, '--agent', 'fetcher',
  '--capability', 'fetch', '--input', '{}', '--task-id', id, ...extra];

describe('egress through the daemon, on the wire and in the CLI', () => {
  it('--watch shows the denied attempt live; GetTask carries exact usage and the log; task get prints them', async () => {
    const watch = captureIo();
    expect(await main(submitArgs('egress-e2e-1', '--watch'), watch), watch.stderr.join('\n')).toBe(EXIT.OK);
    expect(watch.stderr.join('\n')).toMatch(new RegExp(` egress denied HTTP 127\\.0\\.0\\.1:${unlisted.port}: not_allowlisted`));

    await settled(allowed);
    const r = await d.client.getTask('egress-e2e-1');
    expect(r.status).toBe('COMPLETED');
    expect(r.limits!.network).toEqual({ allow: [`127.0.0.1:${allowed.port}`, 'api.example.com:443'] });
    expect(r.egress_log!.map((e) => [e.decision, e.reason, e.port])).toEqual([
      ['allowed', 'allowlisted', allowed.port], ['denied', 'not_allowlisted', unlisted.port],
    ]);
    const [ok] = r.egress_log!;
    expect(ok!.bytes_up).toBe(allowed.bytesIn);
    expect(ok!.bytes_down).toBe(allowed.bytesOut);
    expect(r.usage).toMatchObject({ egress_bytes: allowed.bytesIn + allowed.bytesOut, egress_connections: 1 });
    expect(r.egress_log_dropped).toBe(0);
    expect(unlisted.connections).toBe(0);

    const get = captureIo();
    expect(await main(['task', 'get', 'egress-e2e-1', '--target', d.handle.address], get)).toBe(EXIT.OK);
    expect(get.stdout).toEqual(['{\n  "ok": true\n}']);
    expect(get.stderr[0]).toMatch(new RegExp(`\\negress: ${allowed.bytesIn + allowed.bytesOut} bytes, 1 connections$`));
    const rows = get.stderr[1]!.split('\n');
    expect(rows[0]).toMatch(/^SEQ +DECISION +KIND +HOST:PORT +ADDRESS +REASON +UP +DOWN +MS +ERROR$/);
    expect(rows[1]).toMatch(new RegExp(`^1 +allowed +http +127\\.0\\.0\\.1:${allowed.port} +127\\.0\\.0\\.1 +allowlisted +${allowed.bytesIn} +${allowed.bytesOut} `));
    expect(rows[2]).toMatch(new RegExp(`^2 +denied +http +127\\.0\\.0\\.1:${unlisted.port} .*not_allowlisted`));

    const json = captureIo();
    expect(await main(['task', 'get', 'egress-e2e-1', '--target', d.handle.address, '-o', 'json'], json)).toBe(EXIT.OK);
    const doc = JSON.parse(json.stdout.join('\n'));
    expect(doc.egress_log).toHaveLength(2);
    expect(doc.usage.egress_connections).toBe(1);
  }, 60_000);

  it('--allow narrows the agent\'s list: the narrowed task may not reach what the agent could', async () => {
    const before = allowed.connections;
    const io = captureIo();
    expect(await main(submitArgs('egress-e2e-2', '--allow', 'api.example.com:443'), io), io.stderr.join('\n')).toBe(EXIT.OK);
    const r = await d.client.getTask('egress-e2e-2');
    expect(r.limits!.network).toEqual({ allow: ['api.example.com:443'] });
    expect(r.egress_log!.map((e) => [e.decision, e.reason])).toEqual([['denied', 'not_allowlisted'], ['denied', 'not_allowlisted']]);
    expect(r.usage).toMatchObject({ egress_bytes: 0, egress_connections: 0 });
    expect(allowed.connections).toBe(before);
  }, 60_000);

  it('--allow cannot widen it: INVALID_ARGUMENT, exit 3', async () => {
    const io = captureIo();
    expect(await main(submitArgs('egress-e2e-3', '--allow', `127.0.0.1:${unlisted.port}`), io)).toBe(EXIT.RPC);
    expect(io.stderr.join('\n')).toMatch(/INVALID_ARGUMENT.*limits\.network\.allow/s);
  });
});
