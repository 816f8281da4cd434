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

/** Wall and CPU time of one task on this thread: start it before the guest runs, read it after (`threadClock` false: CPU is reported as wall time). */
export function startClock(threadClock = true): { wallStart: number; elapsed(): { wallMs: number; cpuMs: number } } {
  const wallStart = performance.now();
  const cpuStart = threadClock ? threadCpuNs() : null;
  return {
    wallStart,
    elapsed() {
      const cpuEnd = cpuStart === null ? null : threadCpuNs();
      const wallMs = performance.now() - wallStart;
      return { wallMs, cpuMs: cpuStart !== null && cpuEnd !== null ? (cpuEnd - cpuStart) / 1e6 : wallMs };
    },
  };
}
