// The Journal contract on the two embedded stores (PostgreSQL runs the same suite in test/fleet).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryJournal } from '../../src/core/journal.js';
import { SqliteJournal } from '../../src/core/sqlite-journal.js';
import { journalContract } from './journal-contract.js';

journalContract('memory', async () => new MemoryJournal(1000));
journalContract('SQLite', async () => new SqliteJournal({ dir: mkdtempSync(join(tmpdir(), 'ari-contract-')), retainCount: 1000, retainMs: 1e14, pruneIntervalMs: 0 }));
