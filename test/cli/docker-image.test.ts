// deploy/Dockerfile through deploy/build-image.sh: built on this host from local material only (base imported
// from the host's node, app from `npm pack`), and the image serves the wasm example agent.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { connectAri } from '../../src/client/ari-client.js';
import { REPO } from '../helpers/test-daemon.js';

const TAG = `ari-test/image:${process.pid}`;
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: REPO, encoding: 'utf8', timeout: 1_200_000, stdio: ['ignore', 'pipe', 'pipe'] });
let container = '';
afterAll(() => {
  if (container) try { sh('docker', ['rm', '-f', container]); } catch { /* gone */ }
  try { sh('docker', ['rmi', TAG]); } catch { /* never built */ }
});

it('builds without a registry and serves the wasm MathAgent as uid 65534', async () => {
  try {
    sh('docker', ['info', '--format', '{{.ServerVersion}}']);
  } catch (e) {
    throw new Error(`this test needs a running Docker engine (start dockerd: bash scripts/setup-host.sh): ${(e as Error).message}`);
  }
  sh('bash', [join(REPO, 'deploy/build-image.sh'), TAG]);
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
