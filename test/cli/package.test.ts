// Installable: `npm pack` builds dist/ at prepack; the tarball, installed into an empty directory, runs
// (`npx ari --version`, a task submitted to a daemon started from the installed package) and its `ari/client`
// export type-checks in a scratch TypeScript file. Dependencies come from the npm cache or the registry.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO } from '../helpers/test-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'ari-pack-'));
const app = join(dir, 'app');
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout: 900_000, env: { ...process.env, ARI_FROM_SOURCE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
let daemonPid: number | undefined;
afterAll(() => { if (daemonPid) process.kill(daemonPid, 'SIGTERM'); });

it('npm pack → install into an empty directory → ari runs, serves and its typed client compiles', async () => {
  const listing = run('npm', ['pack', '--pack-destination', dir, '--json'], REPO);
  const files: string[] = JSON.parse(listing.slice(listing.indexOf('[')))[0].files.map((f: { path: string }) => f.path);
  expect(files).toContain('dist/cli/main.js');
  expect(files).toContain('dist/client/ari-client.d.ts');
  expect(files.filter((f) => /^(test|bench|scripts|\.notes|src)\//.test(f))).toEqual([]);
  const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);

  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), '{"name":"scratch","private":true,"type":"module"}');
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);
  expect(run('npx', ['ari', '--version'], app)).toMatch(/^ari \d+\.\d+\.\d+ /);

  const sock = join(dir, 'ari.sock');
  writeFileSync(join(app, 'ari.toml'), `[server]\nlisten = "unix:${sock}"\nmetrics = ""\n[storage]\npath = "${join(dir, 'data')}"\n
[[agents]]\nid = "math"\nruntime = "wasm"\nmodule = "node_modules/ari/fixtures/agents/math/math.wasm"\nmanifest = "node_modules/ari/fixtures/agents/math/manifest.json"\n`);
  const daemon = spawn(join(app, 'node_modules/.bin/ari'), ['serve', '--config', 'ari.toml'], { cwd: app, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ARI_FROM_SOURCE: '' } });
  daemonPid = daemon.pid;
  let log = '';
  daemon.stderr!.on('data', (c) => { log += c; });
  for (const deadline = Date.now() + 60_000; !log.includes('ari serving');) {
    if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`installed ari serve did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(run('npx', ['ari', 'task', 'submit', '--agent', 'math', '--capability', 'arithmetic', '--input', '{"operation":"multiply","operands":[6,7]}', '--target', `unix:${sock}`], app).trim()).toBe('42');

  writeFileSync(join(app, 'scratch.ts'), `import { connectAri, type AriClient, type ConnectOptions } from 'ari/client';
const opts: ConnectOptions = { tls: undefined, channelOptions: { 'grpc.keepalive_time_ms': 30000, 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) } };
const client: AriClient = connectAri('dns:///127.0.0.1:9090', opts);
const status: string = (await client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{}' })).status;
console.log(status);
`);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true }, files: ['scratch.ts'] }));
  run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  // and a wrong use is caught, so the check above is a real type check
  writeFileSync(join(app, 'scratch.ts'), `import { connectAri } from 'ari/client';\nconst n: number = connectAri('x');\n`);
  let diagnostics = '';
  try {
    run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  } catch (e) {
    diagnostics = String((e as { stdout?: string }).stdout);
  }
  expect(diagnostics).toMatch(/not assignable to type 'number'/);
}, 900_000);
