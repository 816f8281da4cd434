// Installable: `npm pack` builds dist/ at prepack; the tarball, installed into an empty directory, runs
// (`npx ari --version`, a task submitted to a daemon started from the installed package) and its `ari/client`
// export type-checks in a scratch TypeScript file; then deploy/Dockerfile is built over that same install (local material
// only: the base is imported from the host's node) and the image serves. Dependencies come from the npm cache or the registry.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { connectAri } from '../../src/client/ari-client.js';
import { REPO } from '../helpers/test-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'ari-pack-'));
const app = join(dir, 'app');
const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout: 900_000, env: { ...process.env, ARI_FROM_SOURCE: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
let daemonPid: number | undefined;
let installed = false;
const TAG = `ari-test/image:${process.pid}`;
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: REPO, encoding: 'utf8', timeout: 1_200_000, stdio: ['ignore', 'pipe', 'pipe'] });
let container = '';
const danglingBefore = new Set((() => {
  try { return sh('docker', ['images', '-q', '--filter', 'dangling=true']).split('\n').filter(Boolean); } catch { return []; }
})());
/** A prebuild-install tarball of the repo's compiled better-sqlite3 (a version the install resolves differently compiles). */
function localSqlitePrebuild(into: string): string {
  const pkg = JSON.parse(readFileSync(join(REPO, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string };
  mkdirSync(into, { recursive: true });
  const name = `better-sqlite3-v${pkg.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(into, name), '-C', join(REPO, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node']);
  return into;
}

afterAll(() => {
  if (daemonPid) try { process.kill(daemonPid, 'SIGTERM'); } catch { /* gone */ }
  if (container) try { sh('docker', ['rm', '-f', '-v', container]); } catch { /* gone */ }
  try { sh('docker', ['rmi', TAG]); } catch { /* never built */ }
  // the multi-stage build leaves its first stage as an untagged image: remove those that appeared during this file
  try {
    const stale = sh('docker', ['images', '-q', '--filter', 'dangling=true']).split('\n').filter((id) => id && !danglingBefore.has(id));
    if (stale.length) sh('docker', ['rmi', ...stale]);
  } catch { /* in use or gone */ }
  rmSync(dir, { recursive: true, force: true });
});


it('npm pack → install into an empty directory → ari runs, serves and its typed client compiles', async () => {
  const listing = run('npm', ['pack', '--pack-destination', dir, '--json'], REPO);
  const files: string[] = JSON.parse(listing.slice(listing.indexOf('[')))[0].files.map((f: { path: string }) => f.path);
  expect(files).toContain('dist/cli/main.js');
  expect(files).toContain('dist/client/ari-client.d.ts');
  expect(files.filter((f) => /^(test|bench|scripts|\.notes|src)\//.test(f))).toEqual([]);
  const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);

  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), '{"name":"scratch","private":true,"type":"module"}');
  // better-sqlite3's install fetches a prebuilt addon from GitHub (unreachable here) or compiles it (~2 min): hand it
  // the one the bootstrap compiled from the same release, as an operator's local prebuild mirror would.
  const prebuilds = localSqlitePrebuild(join(dir, 'prebuilds'));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app, { npm_config_better_sqlite3_local_prebuilds: prebuilds });
  installed = true;
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

it('deploy/build-image.sh builds the installed package into an image without a registry; it serves the wasm MathAgent as uid 65534', async () => {
  expect(installed, 'the package test above must have installed the tarball').toBe(true);
  try {
    sh('docker', ['info', '--format', '{{.ServerVersion}}']);
  } catch (e) {
    throw new Error(`this test needs a running Docker engine (start dockerd: bash scripts/setup-host.sh): ${(e as Error).message}`);
  }
  execFileSync('bash', [join(REPO, 'deploy/build-image.sh'), TAG], { cwd: REPO, encoding: 'utf8', timeout: 1_200_000, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ARI_APP_DIR: app } });
  const history = sh('docker', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', TAG]);
  expect(history).toContain('USER 65534:65534');
  container = sh('docker', ['run', '-d', '-p', '127.0.0.1::9090', '-p', '127.0.0.1::9464', TAG]).trim();
  const port = (p: number) => sh('docker', ['port', container, String(p)]).trim().split('\n')[0]!.split(':').pop()!;
  const client = connectAri(`127.0.0.1:${port(9090)}`);
  try {
    for (const deadline = Date.now() + 60_000; ;) {
      try { await client.waitForReady(1_000); break; } catch (e) { if (Date.now() > deadline) throw new Error(`${e}\n${sh('docker', ['logs', container])}`); }
    }
    const r = await client.executeTask({ agent_id: 'math', capability: 'arithmetic', input: '{"operation":"multiply","operands":[6,7]}' });
    expect(r.status).toBe('COMPLETED');
    expect(JSON.parse(r.output.toString())).toEqual({ result: 42 });
    const h = await client.getHealth();
    expect(h.backends.find((b) => b.runtime === 'wasm')!.available).toBe(true);
  } finally {
    client.close();
  }
  expect((await fetch(`http://127.0.0.1:${port(9464)}/readyz`)).status).toBe(200);
  expect(sh('docker', ['exec', container, '/usr/local/bin/node', '-p', 'process.getuid()']).trim()).toBe('65534');
}, 1_500_000);
