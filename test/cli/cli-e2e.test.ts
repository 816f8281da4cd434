// The `ari` command end to end: a real `ari serve` process, the real CLI as a child process, real wasm.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAri } from '../../src/client/ari-client.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO, 'bin/ari.js');
const MULTIPLY = '{"operation":"multiply","operands":[7,6]}';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

let daemon: ChildProcess;
let daemonLog = '';
let target = '';
let metricsPort = 0;

/** Runs `ari ...args` against the daemon; never rejects, the exit code is part of the answer. */
function ari(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args, '--target', target], { cwd: REPO, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

beforeAll(async () => {
  const port = await freePort();
  metricsPort = await freePort();
  target = `127.0.0.1:${port}`;
  // Own config (fixed keys of DESIGN.md §3) so parallel test files never fight over the default ports.
  const dir = mkdtempSync(join(tmpdir(), 'ari-cli-e2e-'));
  const config = join(dir, 'ari.toml');
  writeFileSync(config, `
[server]
listen = "127.0.0.1:1"
metrics = "127.0.0.1:${metricsPort}"

[storage]
path = "${join(dir, 'data')}"

[[agents]]
id = "math"
runtime = "wasm"
module = "${join(REPO, 'fixtures/agents/math/math.wasm')}"
manifest = "${join(REPO, 'fixtures/agents/math/manifest.json')}"
`);
  daemon = spawn(process.execPath, [BIN, 'serve', '--config', config, '--listen', target], {
    cwd: REPO, env: { ...process.env, ARI_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon.stdout!.on('data', (d) => { daemonLog += d; });
  daemon.stderr!.on('data', (d) => { daemonLog += d; });
  const exited = new Promise<never>((_, reject) => daemon.once('exit', (code) =>
    reject(new Error(`ari serve exited with ${code} before serving:\n${daemonLog}`))));
  const client = connectAri(target);
  try {
    await Promise.race([exited, (async () => {
      for (const deadline = Date.now() + 60_000; ;) {
        try {
          await client.waitForReady(1000);
          return;
        } catch (e) {
          if (Date.now() > deadline) throw new Error(`ari serve did not answer on ${target} within 60s:\n${daemonLog}`);
        }
      }
    })()]);
  } finally {
    client.close();
  }
});

afterAll(async () => {
  if (!daemon || daemon.exitCode !== null) return;
  const gone = new Promise((r) => daemon.once('exit', r));
  daemon.kill('SIGTERM');
  const timer = setTimeout(() => daemon.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(timer);
});

describe('ari CLI against a live daemon', () => {
  it('task submit prints 42 for 7 × 6', async () => {
    const r = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', MULTIPLY]);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '42\n' });
  });

  it('a statistics task works, with limits given in units', async () => {
    const r = await ari(['task', 'submit', '--agent', 'math', '--capability', 'statistics',
      '--input', '{"operation":"mean","values":[1,2,3,4]}', '--timeout', '2s', '--memory', '32MiB']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '2.5\n' });
  });

  it('--json prints the TaskResponse with the output as JSON', async () => {
    const r = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', MULTIPLY, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ status: 'COMPLETED', agent_id: 'math', runtime: 'wasm', output: { result: 42 } });
    expect(res.task_id).toBeTruthy();
  });

  it('--watch streams updates then prints the result; task get finds it by id', async () => {
    const id = `cli-e2e-${process.pid}-${Date.now()}`;
    const r = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', '-',
      '--task-id', id, '--watch'], MULTIPLY);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '42\n' });
    expect(r.stderr).toMatch(/COMPLETED/);
    const got = await ari(['task', 'get', id]);
    expect(got, got.stderr).toMatchObject({ code: 0, stdout: '42\n' });
  });

  it('a task that fails exits 1 with STATUS: code: message', async () => {
    const r = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic',
      '--input', '{"operation":"divide","operands":[1,0]}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^task \S+ FAILED: AGENT_ERROR: .*zero/im);
  });

  it('refused requests exit 3 with the gRPC code; bad local JSON exits 2', async () => {
    const unknown = await ari(['task', 'submit', '--agent', 'nope', '--capability', 'arithmetic', '--input', MULTIPLY]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^error: NOT_FOUND: /m);
    const schema = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic',
      '--input', '{"operation":"multiply","operands":"7"}']);
    expect(schema.code).toBe(3);
    expect(schema.stderr).toMatch(/^error: INVALID_ARGUMENT: .*operands/m);
    const bad = await ari(['task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', '{"operation":']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--input is not valid JSON/);
  });

  it('agent list and agent show', async () => {
    const list = await ari(['agent', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+RUNTIME\s+VERSION\s+CAPABILITIES/);
    expect(list.stdout).toMatch(/^math\s+wasm\s+\S+\s+arithmetic, statistics$/m);
    const show = await ari(['agent', 'show', 'math', '--json']);
    expect(show.code, show.stderr).toBe(0);
    const m = JSON.parse(show.stdout);
    expect(m.capabilities.find((c: { name: string }) => c.name === 'arithmetic').schema.required).toEqual(['operation', 'operands']);
  });

  it('health reports serving and the wasm backend', async () => {
    const r = await ari(['health']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^SERVING/);
    expect(r.stdout).toMatch(/^wasm\s+yes/m);
    const json = JSON.parse((await ari(['health', '--json'])).stdout);
    expect(json.serving).toBe(true);
  });

  it('the daemon exports the task metrics', async () => {
    const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(body).toMatch(/agent_tasks_received_total\{agent="math",runtime="wasm",capability="arithmetic"\} [1-9]/);
    expect(body).toMatch(/agent_tasks_completed_total\{agent="math",runtime="wasm",capability="arithmetic"\} [1-9]/);
  });
});
