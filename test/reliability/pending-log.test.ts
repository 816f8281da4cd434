// The journal's pending log (issue 12): what a SIGKILLed daemon was answered is in the database after a restart,
// a line torn by a power loss is skipped, and a replay of writes the database already holds changes nothing.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PENDING_FILE, SqliteJournal } from '../../src/core/sqlite-journal.js';
import { emptyUsage } from '../../src/contract/outcome.js';

const open: SqliteJournal[] = [];
function journal(dir: string): SqliteJournal {
  const j = new SqliteJournal({ dir, retainCount: 100_000, retainMs: 1e14, pruneIntervalMs: 0 });
  open.push(j);
  return j;
}
const dirs: string[] = [];
afterEach(async () => {
  for (const j of open.splice(0)) await j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'ari-pending-')); dirs.push(d); return d; };

/** Runs the child until it SIGKILLs itself; returns its stdout. */
function crashChild(dir: string, n: number): string {
  try {
    return execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'pending-log-child.ts'), dir, String(n)], { encoding: 'utf8' });
  } catch (e) {
    const err = e as { signal?: string; stdout?: string };
    expect(err.signal).toBe('SIGKILL');
    return err.stdout ?? '';
  }
}

describe('pending log', () => {
  it('a SIGKILL after the answers loses none of them: inserts, RUNNING marks and outcomes are there after reopening', async () => {
    const dir = tempDir();
    expect(crashChild(dir, 200)).toContain('answered');
    expect(statSync(join(dir, PENDING_FILE)).size).toBeGreaterThan(0); // they were only in the pending log
    const j = journal(dir);
    expect(statSync(join(dir, PENDING_FILE)).size).toBe(0); // moved into the database at open
    for (let i = 0; i < 200; i++) {
      const r = await j.get(`k${i}`);
      if (i % 2 === 0) expect(r, `k${i}`).toMatchObject({ status: 'COMPLETED', startedAt: 2000 + i, finishedAt: 3000 + i, result: { output: { i, text: 'é"\\\n' } } });
      else expect(r, `k${i}`).toMatchObject({ status: 'RUNNING', startedAt: 2000 + i });
    }
    const recovered = await j.recoverInterrupted(9000);
    expect(recovered).toHaveLength(100);
    expect((await j.list({ limit: 1000 })).records).toHaveLength(200);
  });

  it('skips a torn last line and replays writes the database already holds without changing them', async () => {
    const dir = tempDir();
    crashChild(dir, 10);
    const lines = readFileSync(join(dir, PENDING_FILE), 'utf8');
    const first = journal(dir);
    const before = await first.get('k0');
    await first.close();
    open.length = 0;
    // The same writes again (a crash between the database's commit and the log's truncation), then half a line.
    appendFileSync(join(dir, PENDING_FILE), `${lines}{"op":"finish","taskId":"k1","status":"FAILED","at":1,"res`);
    const again = journal(dir);
    expect(await again.get('k0')).toEqual(before);
    expect(await again.get('k1')).toMatchObject({ status: 'RUNNING' });
  });

  it('moves writes into the database within a few hundred ms while the daemon runs (the log stays small)', async () => {
    const dir = tempDir();
    const j = journal(dir);
    await j.insert({ record: { taskId: 'a', agentId: 'm', runtime: 'wasm', capability: 'c', requestHash: 'h', limits: { timeoutMs: 1, memoryBytes: 1, cpuMillis: 1, fuel: 1, pids: 1, outputBytes: 1 }, status: 'QUEUED', createdAt: 1 }, input: {}, agentHash: 'h' });
    await j.finish('a', { status: 'COMPLETED', output: 1, usage: emptyUsage(), metrics: {} }, 2);
    expect(statSync(join(dir, PENDING_FILE)).size).toBeGreaterThan(0);
    const t0 = Date.now();
    while (statSync(join(dir, PENDING_FILE)).size > 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(statSync(join(dir, PENDING_FILE)).size).toBe(0);
    expect(existsSync(join(dir, 'ari.db'))).toBe(true);
    expect(await j.get('a')).toMatchObject({ status: 'COMPLETED', finishedAt: 2 });
  });
});
