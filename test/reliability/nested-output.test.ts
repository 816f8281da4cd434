// Deeply nested agent output on every backend, through a real daemon: FAILED BAD_OUTPUT on ExecuteTask, GetTask,
// StreamUpdates and a resubmission, and the same after a restart on the same storage (never INTERNAL, never lost).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAri, type AriClient } from '../../src/client/ari-client.js';
import { parseConfig } from '../../src/config/load-config.js';
import { MAX_OUTPUT_DEPTH } from '../../src/contract/agent-output.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { silentLogger } from '../../src/observability/logger.js';
import { ensureImage, FIXTURE_IMAGES_DIR } from '../../src/runtimes/docker/image-builder.js';
import { DockerodeClient } from '../../src/runtimes/docker/dockerode-client.js';
import type { WireTaskResponse } from '../../src/server/wire-types.js';
import { FIXTURES } from '../helpers/test-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'ari-nested-'));
const TOML = `
[server]
metrics = ""
[storage]
path = "${dir}/data"
[runtimes.native]
uid_start = 2300000
uid_count = 8
[[agents]]
id = "nested-wasm"
runtime = "wasm"
module = "${FIXTURES}/wasm-hostile/nested.wasm"
manifest = "${FIXTURES}/docker/nested/manifest.json"
[[agents]]
id = "nested-native"
runtime = "native"
command = ["${FIXTURES}/docker/nested/nested"]
manifest = "${FIXTURES}/docker/nested/manifest.json"
[[agents]]
id = "nested-docker"
runtime = "docker"
image = "ari-fixtures/nested:1"
manifest = "${FIXTURES}/docker/nested/manifest.json"
`;

interface Running { handle: DaemonHandle; client: AriClient }
async function start(): Promise<Running> {
  const path = join(dir, 'ari.toml');
  writeFileSync(path, TOML);
  const config = parseConfig(TOML, path, dir);
  config.server.listen = '127.0.0.1:0';
  const handle = await startDaemon({ config, logger: silentLogger });
  const client = connectAri(handle.address);
  await client.waitForReady(5_000);
  return { handle, client };
}
async function stop(r: Running | undefined): Promise<void> {
  r?.client.close();
  await r?.handle.stop();
}

// Each row: agent, what it nests, how deep (16 KB at 8,000 levels; 40 KB at 20,000).
const CASES = [
  ...['nested-wasm', 'nested-native', 'nested-docker'].flatMap((agent) => [8_000, 20_000].map((depth) => ({ agent, depth, where: 'output' }))),
  ...['nested-native', 'nested-docker'].flatMap((agent) => ['error', 'metrics'].map((where) => ({ agent, depth: 20_000, where }))),
];
const idOf = (c: (typeof CASES)[number]) => `${c.agent}-${c.where}-${c.depth}`;

function expectBadOutput(r: WireTaskResponse | null | undefined, what: string): void {
  expect(r, what).toMatchObject({ status: 'FAILED', error: { code: 'BAD_OUTPUT' } });
  expect(r!.error!.message, what).toContain(`nested deeper than ${MAX_OUTPUT_DEPTH} levels`);
}

let d: Running | undefined;
beforeAll(async () => {
  const engine = new DockerodeClient();
  try {
    await engine.ping();
  } catch (e) {
    throw new Error(`Docker engine unreachable (${(e as Error).message}): start dockerd (bash scripts/setup-host.sh)`);
  }
  await ensureImage('ari-fixtures/nested:1', join(FIXTURE_IMAGES_DIR, 'nested'), () => {}, engine);
  d = await start();
}, 180_000);
afterAll(async () => { await stop(d); });

describe('nested output on every backend', () => {
  it.each(CASES)('$agent: $where nested $depth deep is FAILED BAD_OUTPUT on ExecuteTask, StreamUpdates, GetTask and resubmission', async (c) => {
    const req = { task_id: idOf(c), agent_id: c.agent, capability: 'run', input: JSON.stringify({ depth: c.depth, where: c.where }) };
    const submitted = await d!.client.submitTask(req);
    const updates: WireTaskResponse[] = [];
    for await (const u of d!.client.streamUpdates(submitted.task_id)) if (u.result) updates.push(u.result);
    expect(updates).toHaveLength(1);
    expectBadOutput(updates[0], 'StreamUpdates');
    expectBadOutput(await d!.client.executeTask(req), 'ExecuteTask (same id)');
    expectBadOutput(await d!.client.getTask(req.task_id), 'GetTask');
    const fresh = await d!.client.executeTask({ ...req, task_id: `${req.task_id}-x` });
    expectBadOutput(fresh, 'ExecuteTask');
    expect(fresh.usage!.output_bytes).toBeGreaterThanOrEqual(2 * c.depth);
  }, 60_000);

  it('after a restart on the same storage every outcome still reads FAILED BAD_OUTPUT (not DAEMON_RESTARTED)', async () => {
    await stop(d);
    d = await start();
    for (const c of CASES) {
      expectBadOutput(await d.client.getTask(idOf(c)), `${idOf(c)} after restart`);
      expectBadOutput(await d.client.getTask(`${idOf(c)}-x`), `${idOf(c)}-x after restart`);
      const updates: WireTaskResponse[] = [];
      for await (const u of d.client.streamUpdates(idOf(c))) if (u.result) updates.push(u.result);
      expectBadOutput(updates[0], `${idOf(c)} streamed after restart`);
    }
  }, 120_000);
});
