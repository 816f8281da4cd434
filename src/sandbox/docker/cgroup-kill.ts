// SIGKILL everything under a container's cgroup parent straight through the kernel, without the engine.
// The engine's kill (dockerd → containerd → shim → runc) takes 0.3–1 s on a loaded 2-core host, all of it
// between a limit's crossing and the task's answer; writing to cgroupfs takes microseconds.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { killPids, listPids, readText, sleep, writeText } from '../native/cgroup-fs.js';

const ROOT = '/sys/fs/cgroup';
/** A v1 freezer that has not reported FROZEN by then is killed anyway (and the kill is repeated). */
const FREEZE_WAIT_MS = 50;
const POLL_MS = 2;

/** The pids in `dir` and every cgroup below it (v1 lists only a cgroup's own members). */
function treePids(dir: string): number[] {
  const pids = listPids(dir);
  let children: string[] = [];
  try {
    children = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return pids;
  }
  for (const c of children) pids.push(...treePids(join(dir, c)));
  return pids;
}

/**
 * v2: cgroup.kill (recursive, atomic against forks). v1: freeze the parent (the freezer is hierarchical, so a
 * fork bomb stops where it stands), SIGKILL every pid below it, thaw (a frozen task dies as it thaws).
 * Returns whether every process was gone within `waitMs`; false also when the cgroup does not exist.
 */
export async function killCgroupTree(parent: string, layout: 'v1' | 'v2', waitMs: number): Promise<boolean> {
  const dir = layout === 'v2' ? join(ROOT, parent) : join(ROOT, 'freezer', parent);
  if (readText(dir, 'cgroup.procs') === null) return false;
  if (layout === 'v2') {
    if (!writeText(dir, 'cgroup.kill', '1')) return false;
  } else {
    const frozen = writeText(dir, 'freezer.state', 'FROZEN');
    const until = performance.now() + FREEZE_WAIT_MS;
    while (frozen && readText(dir, 'freezer.state')?.trim() !== 'FROZEN' && performance.now() < until) await sleep(1);
    killPids(treePids(dir));
    writeText(dir, 'freezer.state', 'THAWED');
  }
  const deadline = performance.now() + waitMs;
  for (;;) {
    const left = treePids(dir);
    if (left.length === 0) return true;
    if (performance.now() >= deadline) return false;
    if (layout === 'v1') killPids(left); // forked between the listing and the freeze taking hold
    await sleep(POLL_MS);
  }
}
