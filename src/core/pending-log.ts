// The journal's write-ahead file: accepted tasks, RUNNING marks and outcomes as JSON lines, one write(2) per event-loop
// turn, moved into the database in batches and replayed at open after a crash.
import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { TaskRow } from './journal-schema.js';

/** One write the database has not taken yet (`result`: the column's JSON text). */
export type PendingWrite =
  | { op: 'insert'; row: TaskRow }
  | { op: 'running'; taskId: string; at: number }
  | { op: 'finish'; taskId: string; status: string; result: string; at: number };

/**
 * The same writes with each task's RUNNING mark and outcome folded into its insert when the batch holds both: one
 * statement per trivial task instead of three (issue 12: the three were ~30 µs of its main-thread time at 64 in
 * flight). The guards are the UPDATEs' own: a mark or outcome only changes an unfinished row. Only for a batch of
 * new tasks: in a replay an insert may meet its row already in the database, and the writes folded into an ignored
 * insert would be lost.
 */
export function foldWrites(writes: PendingWrite[]): PendingWrite[] {
  const inserted = new Map<string, TaskRow>();
  const out: PendingWrite[] = [];
  for (const w of writes) {
    if (w.op === 'insert') {
      const row = { ...w.row };
      inserted.set(row.task_id, row);
      out.push({ op: 'insert', row });
      continue;
    }
    const row = inserted.get(w.taskId);
    if (!row) out.push(w);
    else if (row.finished_at !== null) continue;
    else if (w.op === 'running') Object.assign(row, { status: 'RUNNING', started_at: w.at });
    else Object.assign(row, { status: w.status, result: w.result, finished_at: w.at });
  }
  return out;
}

interface Waiting { line: string; w: PendingWrite; settle: (err?: unknown) => void }

/** The result column goes into the line as the JSON it already is (no second escaping of a large document). */
function encode(w: PendingWrite): string {
  if (w.op !== 'finish') return `${JSON.stringify(w)}\n`;
  return `{"op":"finish","taskId":${JSON.stringify(w.taskId)},"status":${JSON.stringify(w.status)},"at":${w.at},"result":${w.result}}\n`;
}

function decode(line: string): PendingWrite {
  const w = JSON.parse(line) as PendingWrite | (Omit<PendingWrite & { op: 'finish' }, 'result'> & { result: unknown });
  return w.op === 'finish' && typeof w.result !== 'string' ? { ...w, result: JSON.stringify(w.result) } : w as PendingWrite;
}

/**
 * When a write's promise settles, its line is in the kernel's page cache: it survives the daemon's SIGKILL or crash
 * like a SQLite WAL commit with synchronous = NORMAL (only a power loss can drop the last lines, as it can those
 * commits; a line it tears is ignored at replay). A failed write is cut off again, so it cannot run into the next.
 */
export class PendingLog {
  private readonly fd: number;
  private size: number;
  private turn: Waiting[] = [];
  /** Written to the file, not yet in the database, in order. */
  private written: PendingWrite[] = [];
  /** Tasks whose insert this log took and whose outcome it has not: how many could share a turn's write. */
  private open = 0;

  constructor(readonly file: string, private readonly onBacklog: () => void, private readonly backlog: number) {
    this.fd = openSync(file, 'a+', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /** Every complete line a previous process left; a line that does not parse (torn by a power loss) is skipped. */
  leftOver(): PendingWrite[] {
    const lines = readFileSync(this.file, 'utf8').split('\n');
    lines.pop(); // after the last newline: empty, or a line whose write never completed
    const out: PendingWrite[] = [];
    for (const l of lines) {
      try { out.push(decode(l)); } catch { /* torn */ }
    }
    return out;
  }

  /**
   * Written with the other writes of this turn; settles after that write (rejects if it failed). The insert of a task
   * with no other open and the outcome of the last open one are written at once, with what the turn holds: nothing
   * could share their write, and holding them for the turn's end put one more loop turn on a lone task's path (issue
   * 12: the answer then left a turn later). Under load every write still waits for the turn's single write(2).
   */
  add(w: PendingWrite): Promise<void> {
    const line = encode(w);
    if (w.op === 'insert') this.open++;
    else if (w.op === 'finish') this.open = Math.max(0, this.open - 1);
    const lone = w.op === 'insert' ? this.open === 1 : w.op === 'finish' && this.open === 0;
    return new Promise((resolve, reject) => {
      const n = this.turn.push({ line, w, settle: (err) => (err ? reject(err) : resolve()) });
      if (lone) this.flushTurn();
      else if (n === 1) setImmediate(() => this.flushTurn());
    });
  }

  /** Writes this turn's lines now, in one write(2). */
  flushTurn(): void {
    const turn = this.turn;
    if (turn.length === 0) return;
    this.turn = [];
    const bytes = Buffer.from(turn.length === 1 ? turn[0]!.line : turn.map((t) => t.line).join(''));
    try {
      for (let off = 0; off < bytes.length;) off += writeSync(this.fd, bytes, off);
      this.size += bytes.length;
    } catch (e) {
      try { ftruncateSync(this.fd, this.size); } catch { /* the replay skips a line that does not parse */ }
      // A task whose insert failed was never accepted: it no longer counts as open.
      for (const t of turn) if (t.w.op === 'insert') this.open = Math.max(0, this.open - 1);
      for (const t of turn) t.settle(e);
      return;
    }
    for (const t of turn) this.written.push(t.w);
    if (this.written.length >= this.backlog) this.onBacklog();
    for (const t of turn) t.settle();
  }

  /** Hands everything written to `apply` (one transaction) and empties the file; a throw leaves both as they were. */
  drain(apply: (writes: PendingWrite[]) => void): void {
    this.flushTurn();
    if (this.written.length === 0) return;
    apply(this.written);
    this.written = [];
    ftruncateSync(this.fd, 0);
    this.size = 0;
  }

  /** Empties the file once what a previous process left is in the database. */
  clear(): void {
    ftruncateSync(this.fd, 0);
    this.size = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}
