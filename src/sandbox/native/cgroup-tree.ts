// The daemon's own cgroup subtree (ari-<pid>.<starttime> in each hierarchy): task cgroups inside it, removal, and sweeping dead daemons' trees.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REAP_TIMEOUT_MS } from '../kill-escalation.js';
import { processAlive, SELF_TOKEN } from '../process-identity.js';
import { detectCgroups, type CgroupLayout, type Controller } from './cgroup-detect.js';
import { killPids, listPids, removeDir, sleep, writeText } from './cgroup-fs.js';
import { TaskCgroup, type CgroupLimits } from './task-cgroup.js';

/** ari-<pid>.<starttime>.<instance>: names the owning daemon process for all time (pids get reused, start times do not). */
const TREE_PATTERN = /^ari-(\d+)\.(\d+)\.\d+$/;
let instances = 0;
/** A sandbox joins its cgroup within ~30 ms of being spawned; spares are remade after that, not during it. */
const SPARE_REFILL_DELAY_MS = 40;

export class CgroupTree {
  private readonly tasks = new Set<TaskCgroup>();
  /** Empty cgroups made ahead of need: a mkdir per hierarchy is the slow part of a task cgroup, so it is kept off the task's path. */
  private readonly spares: TaskCgroup[] = [];
  private spareTarget = 0;
  private refilling: Promise<void> | null = null;
  private refillTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private spareSeq = 0;
  /** What the last task asked for: the limits new spares are made with. */
  private lastLimits?: CgroupLimits;

  private constructor(readonly layout: CgroupLayout, readonly name: string, private readonly dirs: Partial<Record<Controller, string>>) {}

  /** Creates this daemon's subtree under its own cgroup in every hierarchy. Throws with the reason when it cannot. */
  static open(layout: CgroupLayout): CgroupTree {
    const name = `ari-${SELF_TOKEN}.${++instances}`;
    const dirs: Partial<Record<Controller, string>> = {};
    for (const [c, parent] of Object.entries(layout.dirs) as [Controller, string][]) {
      dirs[c] = join(parent, name);
      if (!existsSync(dirs[c]!)) mkdirSync(dirs[c]!);
    }
    if (layout.version === 'v2') {
      // Controllers must be enabled on every level above a task cgroup; refused when the parent holds processes.
      const want = (['memory', 'pids', 'cpu'] as const).filter((c) => layout.dirs[c]).map((c) => `+${c}`).join(' ');
      writeText(layout.unifiedDir!, 'cgroup.subtree_control', want);
      if (!writeText(dirs.memory!, 'cgroup.subtree_control', want)) {
        throw new Error(`cgroup v2: cannot enable "${want}" below ${layout.unifiedDir} (delegate a cgroup with those controllers to the daemon)`);
      }
    }
    return new CgroupTree(layout, name, dirs);
  }

  /** This subtree's directory in every hierarchy (distinct paths). */
  get treeDirs(): string[] {
    return [...new Set(Object.values(this.dirs))];
  }

  /** The freezer side of the subtree (v1), for the janitor. */
  get freezerDir(): string | undefined {
    return this.dirs.freezer;
  }

  /** What the host let us enable, for GetHealth. */
  features(): Record<string, string> {
    const d = this.layout.dirs;
    const yes = (b: unknown): string => (b ? 'yes' : 'no');
    const memsw = this.layout.version === 'v1'
      ? existsSync(join(d.memory!, 'memory.memsw.limit_in_bytes'))
      : existsSync(join(d.memory!, 'memory.swap.max'));
    return { cgroup: this.layout.version, memory: yes(d.memory), memsw: yes(memsw), pids: yes(d.pids), cpu: yes(d.cpu), cpuacct: yes(d.cpuacct), freezer: yes(d.freezer) };
  }

  createTask(id: string, limits: CgroupLimits): TaskCgroup {
    const cg = TaskCgroup.create(this.layout, this.dirs, `task-${id}`, limits);
    this.tasks.add(cg);
    return cg;
  }

  /** Keeps `count` empty cgroups ready for takeTask(), refilled in the background. */
  keepSpares(count: number): void {
    this.spareTarget = count;
    this.refillSpares();
  }

  get spareCount(): number {
    return this.spares.length;
  }

  /**
   * A task cgroup with these limits: a spare when one is ready (then refilled off this path), else made now. Spares
   * are made with the last task's limits already written, so a run of tasks with equal limits writes none on its path.
   */
  takeTask(limits: CgroupLimits): TaskCgroup {
    this.lastLimits = limits;
    const key = limitsKey(limits);
    const i = this.spares.findIndex((c) => c.limits && limitsKey(c.limits) === key);
    const spare = i >= 0 ? this.spares.splice(i, 1)[0] : this.spares.pop();
    this.refillLater();
    if (!spare) return this.createTask(`c${++this.spareSeq}`, limits);
    this.tasks.add(spare);
    try {
      if (i < 0) spare.setLimits(limits);
    } catch (e) {
      void this.destroyTask(spare);
      throw e;
    }
    return spare;
  }

  /** After the sandbox that took a spare is set up: mkdir and limit writes contend for the kernel's cgroup locks with its join. */
  private refillLater(): void {
    if (this.refillTimer || this.refilling) return;
    this.refillTimer = setTimeout(() => { this.refillTimer = undefined; this.refillSpares(); }, SPARE_REFILL_DELAY_MS);
    this.refillTimer.unref();
  }

  private refillSpares(): void {
    if (this.refilling || this.closed || this.spares.length >= this.spareTarget) return;
    this.refilling = (async () => {
      try {
        while (!this.closed && this.spares.length < this.spareTarget) {
          const cg = await TaskCgroup.createEmpty(this.layout, this.dirs, `task-s${++this.spareSeq}`);
          const limits = this.lastLimits;
          // A refused write leaves the spare unlimited: takeTask then writes (and reports) the limits itself.
          if (limits) await cg.setLimitsAsync(limits).catch(() => { cg.limits = undefined; });
          this.spares.push(cg);
        }
      } catch {
        // takeTask makes its cgroup itself (and reports why it cannot); the next take retries the refill
      } finally {
        this.refilling = null;
      }
    })();
  }

  async destroyTask(cg: TaskCgroup, timeoutMs = REAP_TIMEOUT_MS): Promise<boolean> {
    const ok = await cg.destroy(timeoutMs);
    if (ok) this.tasks.delete(cg);
    return ok;
  }

  /** Kills every task and removes the whole subtree. */
  async close(): Promise<boolean> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    await this.refilling;
    let ok = true;
    for (const cg of this.spares.splice(0)) ok = (await cg.destroy(0)) && ok;
    for (const cg of [...this.tasks]) ok = (await this.destroyTask(cg)) && ok;
    ok = (await destroySubtree(this.layout, this.name)) && ok;
    return ok;
  }
}

/** Removes one daemon subtree wherever it exists: every task cgroup below it (killing what runs there), then itself. */
async function destroySubtree(layout: CgroupLayout, name: string): Promise<boolean> {
  let ok = true;
  const parents = [...new Set(Object.values(layout.dirs))];
  const taskNames = new Set<string>();
  for (const p of parents) {
    const dir = join(p, name);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) taskNames.add(e.name);
  }
  const sub: Partial<Record<Controller, string>> = {};
  for (const [c, p] of Object.entries(layout.dirs) as [Controller, string][]) sub[c] = join(p, name);
  for (const t of taskNames) {
    const cg = TaskCgroup.attach(layout, sub, t);
    ok = (await cg.destroy(REAP_TIMEOUT_MS)) && ok;
  }
  for (const p of parents) ok = removeDir(join(p, name)) && ok;
  return ok;
}

function limitsKey(l: CgroupLimits): string {
  return `${l.memoryBytes}/${l.pids}/${l.cpus}`;
}

/** True when the ari-<pid>.<start>.<n> name's owner process is gone. */
function isStale(name: string): boolean {
  const m = TREE_PATTERN.exec(name);
  return !!m && !processAlive(m[1], m[2]);
}

/**
 * Directories of subtrees whose owning daemon is gone, in every hierarchy: below this process's own cgroups
 * and anywhere a few levels under the mount points (a daemon may have run in another cgroup than ours).
 */
export function staleSubtrees(layout: CgroupLayout): string[] {
  const found = new Set<string>();
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (TREE_PATTERN.test(e.name)) {
        if (isStale(e.name)) found.add(join(dir, e.name));
      } else if (depth > 0 && !e.name.startsWith('task-')) walk(join(dir, e.name), depth - 1);
    }
  };
  for (const d of new Set([...Object.values(layout.dirs), ...layout.roots])) walk(d, 3);
  return [...found];
}

/** Kills everything in a dead daemon's subtree directory (all its task cgroups) and removes it. */
async function destroyStaleDir(dir: string): Promise<boolean> {
  const tasks = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  for (let pass = 0; pass < 400; pass++) {
    const pids = tasks.flatMap((t) => listPids(t));
    if (pids.length === 0) break;
    killPids(pids); // its pids limit bounds a fork bomb: repeated passes catch up with it
    await sleep(5);
  }
  let ok = true;
  for (const t of tasks) ok = removeDir(t) && ok;
  return removeDir(dir) && ok;
}

/**
 * Kills the processes and removes the cgroups a previous, killed daemon left (run at start; safe while other
 * live daemons share the host: only subtrees whose owner process is gone are touched). Returns the directories.
 */
export async function sweepStaleCgroups(root?: string): Promise<string[]> {
  const layout = detectCgroups(root);
  if (!layout) return [];
  const stale = staleSubtrees(layout);
  for (const dir of stale) await destroyStaleDir(dir);
  return stale;
}
