// Finds the host's cgroup hierarchies (v1 per-controller mounts or the v2 unified one) and where this process sits in them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupVersion = 'v1' | 'v2';
/** The controllers the native sandbox uses. */
export const CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuacct', 'freezer'] as const;
export type Controller = (typeof CONTROLLERS)[number];

export interface CgroupLayout {
  version: CgroupVersion;
  /**
   * v1: controller → the directory of this process's own cgroup in that controller's hierarchy.
   * v2: every available controller → the same directory (this process's cgroup in the unified tree).
   * Our subtree nests there, so whatever limits the operator put on the daemon also bound its tasks.
   */
  dirs: Partial<Record<Controller, string>>;
  /** v2 only: the unified mount and this process's cgroup directory. */
  unifiedDir?: string;
  /** The hierarchies' mount points (where a sweep looks for trees left by daemons that ran in other cgroups). */
  roots: string[];
}

interface Mount {
  dir: string;
  type: string;
  options: string[];
}

function mounts(root: string): Mount[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => (f[2] === 'cgroup' || f[2] === 'cgroup2') && (f[1] === root || f[1].startsWith(`${root}/`)))
    .map((f) => ({ dir: f[1].replace(/\\040/g, ' '), type: f[2], options: f[3].split(',') }));
}

/** /proc/self/cgroup: "id:controllers:path" lines; v2 is "0::path". */
function ownPaths(): { v1: Map<string, string>; v2?: string } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3];
    else for (const c of m[2].split(',')) v1.set(c, m[3]);
  }
  return { v1, v2 };
}

/** Detects v1 controllers first (a hybrid host binds them there), else the v2 unified tree. Null when neither has memory. */
export function detectCgroups(root = '/sys/fs/cgroup'): CgroupLayout | null {
  const ms = mounts(root);
  const own = ownPaths();
  const v1: Partial<Record<Controller, string>> = {};
  for (const m of ms.filter((x) => x.type === 'cgroup')) {
    for (const c of CONTROLLERS) {
      if (!m.options.includes(c)) continue;
      const dir = join(m.dir, own.v1.get(c) ?? '/');
      if (existsSync(dir)) v1[c] = dir;
    }
  }
  if (v1.memory) return { version: 'v1', dirs: v1, roots: ms.filter((x) => x.type === 'cgroup' && CONTROLLERS.some((c) => x.options.includes(c))).map((x) => x.dir) };
  const uni = ms.find((x) => x.type === 'cgroup2');
  if (!uni || own.v2 === undefined) return null;
  const dir = join(uni.dir, own.v2);
  const available = readFileSync(join(uni.dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  if (!available.includes('memory')) return null;
  const dirs: Partial<Record<Controller, string>> = {};
  for (const c of CONTROLLERS) {
    const v2name = c === 'cpuacct' ? 'cpu' : c === 'freezer' ? null : c;
    if (v2name && available.includes(v2name)) dirs[c] = dir;
  }
  dirs.freezer = dir; // cgroup.freeze / cgroup.kill are core v2 files, not a controller
  return { version: 'v2', dirs, unifiedDir: dir, roots: [uni.dir] };
}
