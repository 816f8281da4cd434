// Starts a real daemon (in this process, real gRPC on a loopback port) from TOML text, plus a client.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectAri, type AriClient } from '../../src/client/ari-client.js';
import { parseConfig } from '../../src/config/load-config.js';
import { startDaemon, type DaemonHandle } from '../../src/daemon.js';
import { silentLogger, createLogger } from '../../src/observability/logger.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const FIXTURES = join(REPO, 'fixtures/agents');

export interface TestDaemon {
  handle: DaemonHandle;
  client: AriClient;
  dir: string;
  stop(): Promise<void>;
}

/** `toml` may use {{FIXTURES}} for the absolute fixtures/agents path. Listen and metrics are forced to test-safe values. */
export async function startTestDaemon(toml: string): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'ari-test-'));
  const text = toml.replaceAll('{{FIXTURES}}', FIXTURES);
  writeFileSync(join(dir, 'ari.toml'), text);
  const config = parseConfig(text, join(dir, 'ari.toml'), dir);
  config.server.listen = '127.0.0.1:0';
  config.server.metrics = null;
  const logger = process.env.ARI_TEST_LOG ? createLogger('debug') : silentLogger;
  const handle = await startDaemon({ config, logger });
  const client = connectAri(handle.address);
  await client.waitForReady(5000);
  return {
    handle, client, dir,
    stop: async () => { client.close(); await handle.stop(); },
  };
}

export const json = (b: Buffer | Uint8Array) => JSON.parse(Buffer.from(b).toString('utf8'));
