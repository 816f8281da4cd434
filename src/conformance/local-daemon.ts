// The suite's own daemon: started in this process from the conformance config, with the env secret planted first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load-config.js';
import { startDaemon, type DaemonHandle } from '../daemon.js';
import { createLogger, silentLogger, type Logger } from '../observability/logger.js';
import { ENV_SECRET_NAME } from './host-probe.js';

export const CONFORMANCE_CONFIG = fileURLToPath(new URL('../../fixtures/conformance/ari.toml', import.meta.url));

export interface LocalDaemon {
  handle: DaemonHandle;
  /** The daemon's own TMPDIR, so what it leaves in temp is told apart from other processes' scratch dirs. */
  tmp: string;
  /** Live wasm worker threads (the wasm runtime exposes workerCount()). */
  wasmWorkers(): number;
  /** Resolves once the wasm workers have loaded every agent (≤ 30 s), so memory is measured at steady state. */
  warmedUp(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The secret goes into process.env before the daemon starts, so it is in the daemon's environment exactly
 * as an operator's credentials would be; TMPDIR points at a fresh directory for the same reason of scope.
 * stop() restores both.
 */
export async function startLocalDaemon(configPath: string, secret: string, logger?: Logger): Promise<LocalDaemon> {
  const tmp = mkdtempSync(join(tmpdir(), 'ari-conformance-tmp-'));
  const previous = { [ENV_SECRET_NAME]: process.env[ENV_SECRET_NAME], TMPDIR: process.env.TMPDIR };
  process.env[ENV_SECRET_NAME] = secret;
  process.env.TMPDIR = tmp;
  const restore = () => {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  let handle: DaemonHandle;
  try {
    const config = loadConfig(configPath);
    config.server.listen = '127.0.0.1:0';
    config.server.metrics = null;
    // A throwaway daemon keeps outcomes in memory: it must never share `ari serve`'s database.
    config.storage.path = null;
    handle = await startDaemon({ config, logger: logger ?? (process.env.ARI_CONFORMANCE_LOG ? createLogger('debug') : silentLogger) });
  } catch (e) {
    restore();
    throw e;
  }
  const wasm = handle.runtimes.get('wasm') as { workerCount?: () => number; warmedUp?: () => boolean } | undefined;
  return {
    handle,
    tmp,
    wasmWorkers: () => wasm?.workerCount?.() ?? 0,
    warmedUp: async () => {
      for (let i = 0; i < 300 && wasm?.warmedUp?.() === false; i++) await new Promise((r) => setTimeout(r, 100));
    },
    stop: async () => {
      try {
        await handle.stop();
      } finally {
        restore();
      }
    },
  };
}
