// Child process for pending-log.test.ts: records tasks in a SqliteJournal, then SIGKILLs itself before the pending
// log's writes have reached the database (no close, no timer tick), printing what it was answered first.
import { SqliteJournal } from '../../src/core/sqlite-journal.js';
import { emptyUsage } from '../../src/contract/outcome.js';

const [dir, count] = process.argv.slice(2);
const j = new SqliteJournal({ dir: dir!, retainCount: 100_000, retainMs: 1e14, pruneIntervalMs: 0 });
const limits = { timeoutMs: 1000, memoryBytes: 1 << 24, cpuMillis: 1000, fuel: 1e9, pids: 8, outputBytes: 1 << 20 };
const n = Number(count);
await Promise.all(Array.from({ length: n }, async (_, i) => {
  const taskId = `k${i}`;
  await j.insert({ record: { taskId, agentId: 'math', runtime: 'wasm', capability: 'c', requestHash: `h${i}`, limits, status: 'QUEUED', createdAt: 1000 + i }, input: {}, agentHash: 'h' });
  await j.markRunning(taskId, 2000 + i);
  // Every other task is answered; the rest stay RUNNING (a crash mid-run).
  if (i % 2 === 0) await j.finish(taskId, { status: 'COMPLETED', output: { i, text: 'é"\\\n' }, usage: { ...emptyUsage(), wallMs: 1 }, metrics: {} }, 3000 + i);
}));
process.stdout.write('answered\n', () => process.kill(process.pid, 'SIGKILL'));
