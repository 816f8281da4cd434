// Start-of-day cleanup: kills the sandboxes and removes the cgroups a previous, killed daemon left behind.
import { sweepStaleCgroups } from '../../sandbox/native/cgroup-tree.js';

/**
 * Every sandbox process lives in its task cgroup from its first instruction, so the cgroups a dead daemon
 * left are a complete list of what it left running. Returns the subtrees removed.
 */
export function sweepNative(cgroupRoot?: string): Promise<string[]> {
  return sweepStaleCgroups(cgroupRoot);
}
