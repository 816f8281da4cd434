// Reads another thread's CPU clock from the main thread (/proc/self/task/<tid>/schedstat), to watch a worker
// whose own checks cannot run. One file descriptor per watched thread, kept open while it lives.
import { closeSync, openSync, readSync } from 'node:fs';

const buf = Buffer.alloc(64);

export class ThreadClock {
  private fd: number | null;

  constructor(tid: number | undefined) {
    try {
      this.fd = tid === undefined ? null : openSync(`/proc/self/task/${tid}/schedstat`, 'r');
    } catch {
      this.fd = null;
    }
  }

  /** CPU milliseconds the thread has run, or null when it cannot be read. */
  cpuMs(): number | null {
    if (this.fd === null) return null;
    try {
      const n = readSync(this.fd, buf, 0, buf.length, 0);
      const ns = Number(buf.toString('latin1', 0, n).split(' ')[0]);
      return Number.isFinite(ns) ? ns / 1e6 : null;
    } catch {
      return null;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
