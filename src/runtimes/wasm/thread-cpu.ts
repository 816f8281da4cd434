// CPU time of the calling thread (Node 20 has no process.threadCpuUsage): /proc/thread-self/schedstat, opened once.
import { openSync, readSync } from 'node:fs';

const buf = Buffer.alloc(64);
let fd: number | null | undefined;

/** Nanoseconds this thread has run on a CPU, or null when the kernel does not expose it. */
export function threadCpuNs(): number | null {
  if (fd === undefined) {
    try {
      fd = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      fd = null;
    }
  }
  if (fd === null) return null;
  try {
    const n = readSync(fd, buf, 0, buf.length, 0);
    const ns = Number(buf.toString('latin1', 0, n).split(' ')[0]);
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}
