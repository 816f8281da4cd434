// A per-container cgroup *parent* we name (HostConfig.CgroupParent) and create before the container: it holds the
// memory and CPU fence (so an idle pooled container can be throttled, and an OOM kill is recorded where it
// outlives the container), and it outlives the container's own cgroup, which runc deletes the moment the agent
// exits, so CPU time, peak memory and OOM kills can be read after the exit.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killCgroupTree } from './cgroup-kill.js';

const ROOT = '/sys/fs/cgroup';
/** Every container parent lives under /ari-docker/ in each hierarchy, so a sweep finds them all. */
export const CGROUP_BASE = 'ari-docker';
/** CFS period of the CPU fence; the quota is a fraction of it (the kernel's floor is 1 ms). */
const CPU_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1000;
/** The kernel charges memory in batches of up to 64 pages. */
const CHARGE_BATCH_BYTES = 64 * 4096;

type Layout = 'v1' | 'v2' | 'none';

function layout(): Layout {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) return 'v2';
  if (existsSync(join(ROOT, 'memory')) && existsSync(join(ROOT, 'cpuacct')) && existsSync(join(ROOT, 'cpu'))) return 'v1';
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

/** The value of `key N` in a flat-keyed cgroup file (cpu.stat, memory.events, memory.oom_control). */
function readKeyed(path: string, key: string): number | undefined {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(path, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Only cgroupfs-driven engines accept a path parent; with the systemd driver usage stays 0 (documented). */
export function taskCgroupsSupported(cgroupDriver: string): boolean {
  return cgroupDriver === 'cgroupfs' && LAYOUT !== 'none';
}

/** What the parent enforces on everything in the container. */
export interface CgroupFence {
  memoryBytes: number;
  /** Share of one CPU (1 = a whole core). */
  cpuFraction: number;
}

export class TaskCgroup {
  /** The value for HostConfig.CgroupParent. */
  readonly parent: string;

  constructor(readonly name: string) {
    this.parent = `/${CGROUP_BASE}/${name}`;
  }

  /**
   * Creates the parent with its fence, before the container exists (runc joins existing directories). Throws when
   * the fence cannot be written: a container must never start without it. The exact memory limit lives here (the
   * container's own is set a little higher), so this parent's counters say whether the limit was ever hit.
   */
  create(fence: CgroupFence): void {
    if (LAYOUT === 'v1') {
      const mem = join(ROOT, 'memory', this.parent);
      mkdirSync(mem, { recursive: true });
      writeFileSync(join(mem, 'memory.limit_in_bytes'), String(fence.memoryBytes));
      // Limit before memsw (memsw may never be below it); absent without swap accounting.
      if (existsSync(join(mem, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(mem, 'memory.memsw.limit_in_bytes'), String(fence.memoryBytes));
      mkdirSync(join(ROOT, 'cpu', this.parent), { recursive: true });
      writeFileSync(join(ROOT, 'cpu', this.parent, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    } else if (LAYOUT === 'v2') {
      writeFileSync(join(ROOT, 'cgroup.subtree_control'), '+cpu +memory');
      mkdirSync(join(ROOT, CGROUP_BASE), { recursive: true });
      writeFileSync(join(ROOT, CGROUP_BASE, 'cgroup.subtree_control'), '+cpu +memory');
      mkdirSync(join(ROOT, this.parent), { recursive: true });
      writeFileSync(join(ROOT, this.parent, 'memory.max'), String(fence.memoryBytes));
      if (existsSync(join(ROOT, this.parent, 'memory.swap.max'))) writeFileSync(join(ROOT, this.parent, 'memory.swap.max'), '0');
    } else {
      throw new Error('no cgroup hierarchy to fence the container in');
    }
    this.setCpuFraction(fence.cpuFraction);
  }

  /** Changes the CPU share of everything in the container at once (a file write, no engine round trip). */
  setCpuFraction(fraction: number): void {
    const quota = Math.max(MIN_QUOTA_US, Math.round(fraction * CPU_PERIOD_US));
    if (LAYOUT === 'v1') writeFileSync(join(ROOT, 'cpu', this.parent, 'cpu.cfs_quota_us'), String(quota));
    else if (LAYOUT === 'v2') writeFileSync(join(ROOT, this.parent, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
  }

  /** Total CPU time of everything the container ran, in ms (0 before the container starts). */
  cpuMs(): number {
    if (LAYOUT === 'v1') return Math.round((readNumber(join(ROOT, 'cpuacct', this.parent, 'cpuacct.usage')) ?? 0) / 1e6);
    if (LAYOUT === 'v2') return Math.round((readKeyed(join(ROOT, this.parent, 'cpu.stat'), 'usage_usec') ?? 0) / 1e3);
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

  /**
   * OOM kills recorded under this parent. v2 counts them hierarchically; v1 counts them only in the victim's own
   * cgroup (the container's, deleted with it), so on v1 this stays 0 and `limitHits` tells whether one was possible.
   */
  oomKills(): number {
    if (LAYOUT === 'v1') return readKeyed(join(ROOT, 'memory', this.parent, 'memory.oom_control'), 'oom_kill') ?? 0;
    if (LAYOUT === 'v2') return readKeyed(join(ROOT, this.parent, 'memory.events'), 'oom_kill') ?? 0;
    return 0;
  }

  /**
   * v1: OOM kills in the container's own memory cgroup (below this parent), where the kernel counts them, while it
   * still exists: runc deletes it with the task, after the exit is reported. undefined once it is gone (or on v2).
   */
  containerOomKills(containerId: string): number | undefined {
    if (LAYOUT !== 'v1') return undefined;
    return readKeyed(join(ROOT, 'memory', this.parent, containerId, 'memory.oom_control'), 'oom_kill');
  }

  /**
   * Whether charges ever reached the fence's memory limit (no OOM kill is possible otherwise). v2 counts it
   * (memory.events max); v1's failcnt is not kept by every kernel, but the peak is: within one charge batch of it.
   */
  limitReached(limitBytes: number): boolean {
    if (LAYOUT === 'v1') return this.peakMemoryBytes() >= limitBytes - CHARGE_BATCH_BYTES;
    if (LAYOUT === 'v2') return (readKeyed(join(ROOT, this.parent, 'memory.events'), 'max') ?? 0) > 0;
    return true;
  }

  /** SIGKILLs everything in the container through the kernel; true once all of it is gone (within `waitMs`). */
  killAll(waitMs: number): Promise<boolean> {
    return LAYOUT === 'none' ? Promise.resolve(false) : killCgroupTree(this.parent, LAYOUT, waitMs);
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

/** The names of the container parents that exist now (to measure containers that come and go). */
export function listTaskCgroups(): string[] {
  const base = LAYOUT === 'v1' ? join(ROOT, 'cpuacct', CGROUP_BASE) : join(ROOT, CGROUP_BASE);
  try {
    return readdirSync(base, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
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
