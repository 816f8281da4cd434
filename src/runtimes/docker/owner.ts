// Who owns a container: this process, identified so a later daemon can tell whether the owner still lives.
import { processAlive, SELF_TOKEN } from '../../sandbox/process-identity.js';

/** `<pid>.<starttime>`: unique per process on this host. */
export const OWNER = SELF_TOKEN;

/**
 * True when the process that wrote this owner token is still running. Engines shared by daemons in other pid
 * namespaces would look dead from here: run one daemon per engine, or per pid namespace.
 */
export function ownerAlive(owner: string): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(owner);
  return !!m && processAlive(m[1], m[2]);
}
