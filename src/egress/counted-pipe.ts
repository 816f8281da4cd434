// Pipes one direction of a proxied connection, charging every chunk to the task before it is forwarded.
import type { Socket } from 'node:net';
import type { EgressRecord } from './audit-log.js';
import type { Direction, EgressSession } from './session.js';

export interface PipeSink { bytes: { up: number; down: number } }

/** Forwards `chunk` within the budget; returns false when the budget was crossed (session already ended). */
export function forwardCounted(chunk: Buffer, to: Socket, dir: Direction, session: EgressSession, record: EgressRecord, sink: PipeSink): boolean {
  const { allowed, crossed } = session.charge(dir, chunk.length);
  if (allowed > 0) {
    if (dir === 'up') record.bytesUp += allowed; else record.bytesDown += allowed;
    sink.bytes[dir] += allowed;
  }
  if (crossed) {
    if (allowed > 0) to.write(chunk.subarray(0, allowed));
    session.breach('egress_bytes');
    return false;
  }
  return allowed === chunk.length ? to.write(chunk) : false;
}

/** from → to with backpressure, half-close propagation and accounting; the other direction is a second call. */
export function countedPipe(from: Socket, to: Socket, dir: Direction, session: EgressSession, record: EgressRecord, sink: PipeSink): void {
  from.on('data', (chunk: Buffer) => {
    if (!forwardCounted(chunk, to, dir, session, record, sink) && !to.destroyed && !session.ended) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  // The prefix reader may already have seen this side's end (a client that sends and half-closes at once).
  if (from.readableEnded) to.end();
  else from.on('end', () => { if (!to.destroyed) to.end(); });
  // A clean close already propagated through 'end' (to keeps flushing what it holds); an abort tears down both.
  from.on('close', (hadError: boolean) => { if (hadError || !from.readableEnded) to.destroy(); });
  from.resume();
}
