// Names a process for all time (`<pid>.<starttime>`), so leftovers of a dead daemon can be told from a live one's.
import { readFileSync } from 'node:fs';

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; with the pid it survives pid reuse. */
export function processStartTime(pid: number | 'self'): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** This process: `<pid>.<starttime>`. */
export const SELF_TOKEN = `${process.pid}.${processStartTime('self') ?? Date.now()}`;

/** True while the process a `<pid>.<starttime>` token names is still running. */
export function processAlive(pid: number | string, startTime: string): boolean {
  return processStartTime(Number(pid)) === startTime;
}
