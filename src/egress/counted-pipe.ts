// Pipes one direction of a proxied connection, charging every chunk to the task before it is forwarded.
import type { OnReadOpts, Socket } from 'node:net';
import type { EgressRecord } from './audit-log.js';
import type { Direction, EgressSession } from './session.js';

export interface PipeSink { bytes: { up: number; down: number } }

/** Bytes per read on the sockets the proxy dials (the download side): 4× Node's 64 KiB, so 4× fewer reads and callbacks. */
export const DIAL_READ_BYTES = 256 * 1024;
/** A read shorter than this is copied out and the read buffer reused, so a queued short chunk never pins a whole buffer. */
const COPY_BELOW = 32 * 1024;

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

/** Half-close propagation: a clean end is passed on (to keeps flushing what it holds); an abort tears down both. */
function propagateEnd(from: Socket, to: Socket): void {
  // The prefix reader may already have seen this side's end (a client that sends and half-closes at once).
  if (from.readableEnded) to.end();
  else from.on('end', () => { if (!to.destroyed) to.end(); });
  from.on('close', (hadError: boolean) => { if (hadError || !from.readableEnded) to.destroy(); });
}

/** Forwards one chunk; false = stop reading `from` until `to` drains (or for good, once the session ended). */
function forwardOrPause(chunk: Buffer, from: Socket, to: Socket, dir: Direction, session: EgressSession, record: EgressRecord, sink: PipeSink): boolean {
  if (forwardCounted(chunk, to, dir, session, record, sink)) return true;
  if (!to.destroyed && !session.ended) to.once('drain', () => from.resume());
  return false;
}

/** from → to with backpressure, half-close propagation and accounting; the other direction is a second call. */
export function countedPipe(from: Socket, to: Socket, dir: Direction, session: EgressSession, record: EgressRecord, sink: PipeSink): void {
  from.on('data', (chunk: Buffer) => { if (!forwardOrPause(chunk, from, to, dir, session, record, sink)) from.pause(); });
  propagateEnd(from, to);
  from.resume();
}

/**
 * The same pipe for a socket the proxy creates itself, reading straight into DIAL_READ_BYTES buffers (`onread`):
 * pass `reader.onread` to connect() and `attach` the socket at once, `start()` once the other direction is set up.
 * A long read's buffer is handed to write() and replaced (never reused while queued); a short one is copied out.
 * Charging and the cut-off are forwardCounted's, exactly as for countedPipe.
 */
export class CountedReader {
  private from: Socket | undefined;
  private buf = Buffer.allocUnsafe(DIAL_READ_BYTES);
  private handedOver = false;
  readonly onread: OnReadOpts;

  constructor(private readonly to: Socket, dir: Direction, session: EgressSession, record: EgressRecord, sink: PipeSink) {
    this.onread = {
      buffer: () => {
        if (this.handedOver) { this.buf = Buffer.allocUnsafe(DIAL_READ_BYTES); this.handedOver = false; }
        return this.buf;
      },
      callback: (n: number, buf: Uint8Array) => {
        const b = buf as Buffer;
        const chunk = n < COPY_BELOW ? Buffer.from(b.subarray(0, n)) : b.subarray(0, n);
        if (n >= COPY_BELOW) this.handedOver = true;
        return forwardOrPause(chunk, this.from!, to, dir, session, record, sink);
      },
    };
  }

  /** The socket created with `onread`, before it can read anything. */
  attach(from: Socket): void { this.from = from; }

  start(): void {
    propagateEnd(this.from!, this.to);
    this.from!.resume();
  }
}
