// A per-container cgroup *parent* we name (HostConfig.CgroupParent): it outlives the container's own cgroup,
// which runc deletes the moment the agent exits, so CPU time and peak memory can be read after the exit.
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';
/** Every container parent lives under /ari-docker/ in each hierarchy, so a sweep finds them all. */
export const CGROUP_BASE = 'ari-docker';

type Layout = 'v1' | 'v2' | 'none';

function layout(): Layout {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) return 'v2';
  if (existsSync(join(ROOT, 'memory')) && existsSync(join(ROOT, 'cpuacct'))) return 'v1';
  return 'none';
}

const LAYOUT = layout();

/** v1: the per-controller hierarchies docker creates the parent in (all of them, so all must be removed). */
function hierarchies(): string[] {
  if (LAYOUT === 'v2') return [ROOT];
  if (LAYOUT === 'none') return [];
  return readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() || d.isSymbolicLink())
    .map((d) => join(ROOT, d.name));
}

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function readCpuStatUsec(path: string): number | undefined {
  try {
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(path, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Only cgroupfs-driven engines accept a path parent; with the systemd driver usage stays 0 (documented). */
export function taskCgroupsSupported(cgroupDriver: string): boolean {
  return cgroupDriver === 'cgroupfs' && LAYOUT !== 'none';
}

export class TaskCgroup {
  /** The value for HostConfig.CgroupParent. */
  readonly parent: string;

  constructor(readonly name: string) {
    this.parent = `/${CGROUP_BASE}/${name}`;
  }

  /** Total CPU time of everything the container ran, in ms (0 before the container starts). */
  cpuMs(): number {
    if (LAYOUT === 'v1') return Math.round((readNumber(join(ROOT, 'cpuacct', this.parent, 'cpuacct.usage')) ?? 0) / 1e6);
    if (LAYOUT === 'v2') return Math.round((readCpuStatUsec(join(ROOT, this.parent, 'cpu.stat')) ?? 0) / 1e3);
    return 0;
  }

  /** Peak memory charged (v2 kernels before 5.19 have no memory.peak: then current usage). */
  peakMemoryBytes(): number {
    if (LAYOUT === 'v1') return readNumber(join(ROOT, 'memory', this.parent, 'memory.max_usage_in_bytes')) ?? 0;
    if (LAYOUT === 'v2') {
      return readNumber(join(ROOT, this.parent, 'memory.peak')) ?? readNumber(join(ROOT, this.parent, 'memory.current')) ?? 0;
    }
    return 0;
  }

  /** After the container is removed. Returns whether every hierarchy's directory is gone. */
  remove(): boolean {
    return removeParent(this.name);
  }
}

function removeParent(name: string): boolean {
  let clean = true;
  for (const h of hierarchies()) {
    const dir = join(h, CGROUP_BASE, name);
    try {
      rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') clean = false;
    }
  }
  return clean;
}

/** Removes the parents whose owner is gone (left by a daemon that was killed). */
export function sweepTaskCgroups(isStale: (name: string) => boolean): number {
  const seen = new Set<string>();
  for (const h of hierarchies()) {
    try {
      for (const d of readdirSync(join(h, CGROUP_BASE), { withFileTypes: true })) if (d.isDirectory()) seen.add(d.name);
    } catch { /* hierarchy without our base */ }
  }
  let removed = 0;
  for (const name of seen) if (isStale(name) && removeParent(name)) removed++;
  return removed;
}
