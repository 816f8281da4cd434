// Bounded, timed buffering of a socket's first bytes (request head, ClientHello) before the proxy decides.
import type { Socket } from 'node:net';

export type ReadEnd = 'done' | 'limit' | 'timeout' | 'eof';

export interface ReadOptions {
  maxBytes: number;
  timeoutMs: number;
  /** When set and no byte at all arrives within it, resolve 'timeout' early (server-speaks-first protocols). */
  firstByteMs?: number;
}

/**
 * Collects bytes until `done(buf)` says so. The socket is paused afterwards with its listeners removed, so the
 * caller takes over the stream where this left off; `buf` may hold bytes beyond what `done` needed.
 */
export function readUntil(socket: Socket, initial: Buffer, done: (buf: Buffer) => boolean, opts: ReadOptions): Promise<{ buf: Buffer; end: ReadEnd }> {
  return new Promise((resolve) => {
    let buf = initial;
    let timer: NodeJS.Timeout | undefined;
    const finish = (end: ReadEnd) => {
      clearTimeout(timer);
      socket.pause();
      socket.off('data', onData);
      socket.off('end', onEof);
      socket.off('close', onEof);
      resolve({ buf, end });
    };
    const onEof = () => finish('eof');
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (done(buf)) return finish('done');
      if (buf.length >= opts.maxBytes) return finish('limit');
      if (waitingFirst) { waitingFirst = false; clearTimeout(timer); timer = setTimeout(() => finish('timeout'), opts.timeoutMs); }
    };
    if (buf.length && done(buf)) return resolve({ buf, end: 'done' });
    if (buf.length >= opts.maxBytes) return resolve({ buf, end: 'limit' });
    let waitingFirst = buf.length === 0 && opts.firstByteMs !== undefined;
    timer = setTimeout(() => finish('timeout'), waitingFirst ? opts.firstByteMs : opts.timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEof);
    socket.once('close', onEof);
    socket.resume();
  });
}
