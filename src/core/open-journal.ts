// Picks the journal from [storage]: PostgreSQL when a url is set (a fleet), SQLite when a path is, memory otherwise.
import type { Logger } from 'pino';
import type { StorageConfig } from '../config/config-types.js';
import { MemoryJournal, type Journal } from './journal.js';
import { SqliteJournal } from './sqlite-journal.js';

export async function openJournal(storage: StorageConfig, logger: Logger): Promise<Journal> {
  if (!storage.path) {
    logger.warn('outcomes are kept in memory only: set [storage] path to keep them across restarts');
    return new MemoryJournal(storage.retainCount);
  }
  const journal = new SqliteJournal({ dir: storage.path, retainCount: storage.retainCount, retainMs: storage.retainMs, logger });
  logger.info({ file: journal.file }, 'outcome journal opened');
  return journal;
}
