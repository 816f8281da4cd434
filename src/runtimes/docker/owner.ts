// Who owns a container: this process, identified so a later daemon can tell whether the owner still lives.
import { readFileSync } from 'node:fs';

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); guards against pid reuse. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** `<pid>.<starttime>`: unique per process on this host. */
export const OWNER = `${process.pid}.${startTime(process.pid) ?? Date.now()}`;

/**
 * True when the process that wrote this owner token is still running. Engines shared by daemons in other pid
 * namespaces would look dead from here: run one daemon per engine, or per pid namespace.
 */
export function ownerAlive(owner: string): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(owner);
  if (!m) return false;
  return startTime(Number(m[1])) === m[2];
}
