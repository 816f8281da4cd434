// Picks the task store from [storage]: the fleet's PostgreSQL when a url is set, else the embedded journals.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { StorageConfig } from '../config/config-types.js';
import type { Journal } from '../core/journal.js';
import { openJournal } from '../core/open-journal.js';
import { PostgresJournal } from './postgres-journal.js';

/** Stable across restarts of the same daemon: its configured id, else host + data directory (or config file). */
export function fleetDaemonId(storage: StorageConfig, configSource: string): string {
  if (storage.daemonId) return storage.daemonId;
  const seed = storage.path ?? configSource;
  return `${hostname()}-${createHash('sha256').update(seed).digest('hex').slice(0, 8)}`;
}

export async function openStore(storage: StorageConfig, configSource: string, logger: Logger): Promise<Journal> {
  if (!storage.url) return openJournal(storage, logger);
  const daemonId = fleetDaemonId(storage, configSource);
  return PostgresJournal.open({
    url: storage.url, daemonId, leaseMs: storage.leaseMs, liveMs: Math.max(storage.leaseMs, 6_000),
    retainCount: storage.retainCount, retainMs: storage.retainMs, logger,
  });
}
