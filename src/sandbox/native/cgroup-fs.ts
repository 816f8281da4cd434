// Small synchronous cgroupfs helpers: kernel pseudo-files answer in microseconds, so sync keeps the callers simple.
import { readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';

export function readText(dir: string, file: string): string | null {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return null;
  }
}

export function readNumber(dir: string, file: string): number {
  const t = readText(dir, file);
  const n = t === null ? NaN : Number(t.trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : 0;
}

/** Reads `key value` lines (memory.events, cpu.stat, memory.oom_control). */
export function readKeyed(dir: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (readText(dir, file) ?? '').split('\n')) {
    const [k, v] = line.split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

/** Writes a control file; returns false (instead of throwing) when the kernel refuses. */
export function writeText(dir: string, file: string, value: string): boolean {
  try {
    writeFileSync(join(dir, file), value);
    return true;
  } catch {
    return false;
  }
}

export function listPids(dir: string): number[] {
  const t = readText(dir, 'cgroup.procs');
  if (!t) return [];
  return t.split('\n').filter(Boolean).map(Number);
}

/** rmdir a cgroup; true when it is gone (removed now or already absent). */
export function removeDir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** removeDir off the event loop (a memory cgroup's rmdir can take milliseconds on a busy host). */
export async function removeDirAsync(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
