// One task's cgroup (v1: a directory per controller hierarchy; v2: one directory): limits, usage, freeze-kill, removal.
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REAP_POLL_MS } from '../kill-escalation.js';
import type { CgroupLayout, Controller } from './cgroup-detect.js';
import { killPids, listPids, readKeyed, readNumber, readText, removeDir, removeDirAsync, sleep, writeText } from './cgroup-fs.js';

export interface CgroupLimits {
  memoryBytes: number;
  pids: number;
  /** CPU bandwidth in cores (e.g. 1 = one core's worth per period). */
  cpus: number;
}

export interface CgroupUsage {
  cpuMs: number;
  peakMemoryBytes: number;
  /** Processes the kernel's OOM killer ended in this cgroup. */
  oomKills: number;
  /** Times the memory limit was hit (v1 failcnt / v2 "max" events). */
  memoryLimitHits: number;
}

const CPU_PERIOD_US = 100_000;

export class TaskCgroup {
  /** The distinct directories of this task (v1 may mount several controllers together). */
  readonly dirs: string[];

  private constructor(readonly layout: CgroupLayout, private readonly at: Partial<Record<Controller, string>>) {
    this.dirs = [...new Set(Object.values(at))];
  }

  /** Creates `<parent>/<name>` in every hierarchy and applies the limits; throws when the kernel refuses a limit. */
  static create(layout: CgroupLayout, parents: Partial<Record<Controller, string>>, name: string, limits: CgroupLimits): TaskCgroup {
    const cg = TaskCgroup.attach(layout, parents, name);
    for (const d of cg.dirs) if (!existsSync(d)) mkdirSync(d);
    cg.setLimits(limits);
    return cg;
  }

  /** Creates the directories without limits, all hierarchies at once (a spare, limited when a task takes it). */
  static async createEmpty(layout: CgroupLayout, parents: Partial<Record<Controller, string>>, name: string): Promise<TaskCgroup> {
    const cg = TaskCgroup.attach(layout, parents, name);
    const made = await Promise.allSettled(cg.dirs.map((d) => mkdir(d)));
    const failed = made.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      for (const d of cg.dirs) removeDir(d);
      throw failed.reason;
    }
    return cg;
  }

  /** An existing task cgroup (found by a sweep), without touching its limits. */
  static attach(layout: CgroupLayout, parents: Partial<Record<Controller, string>>, name: string): TaskCgroup {
    const at: Partial<Record<Controller, string>> = {};
    for (const [c, dir] of Object.entries(parents) as [Controller, string][]) at[c] = join(dir, name);
    return new TaskCgroup(layout, at);
  }

  /** The files the sandbox's first process writes its own pid into before exec'ing anything. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /** The limits last written (a spare may carry a previous task's, written off any task's path). */
  limits?: CgroupLimits;

  /** Writes the limits; only while no process is inside (a fresh or spare cgroup). Throws when the kernel refuses one. */
  setLimits(l: CgroupLimits): void {
    for (const w of this.limitWrites(l)) {
      if (!writeText(w.dir, w.file, w.value) && w.must) throw new Error(`cgroup: cannot write ${w.value} to ${join(w.dir, w.file)}`);
    }
    this.limits = l;
  }

  /** setLimits off the event loop (kernel writes that take milliseconds on a loaded host), for spares made ahead. */
  async setLimitsAsync(l: CgroupLimits): Promise<void> {
    for (const w of this.limitWrites(l)) {
      const ok = await writeFile(join(w.dir, w.file), w.value).then(() => true, () => false);
      if (!ok && w.must) throw new Error(`cgroup: cannot write ${w.value} to ${join(w.dir, w.file)}`);
    }
    this.limits = l;
  }

  /** In order; `must`: the kernel may not refuse it. */
  private limitWrites(l: CgroupLimits): { dir: string; file: string; value: string; must: boolean }[] {
    const out: { dir: string; file: string; value: string; must: boolean }[] = [];
    const add = (dir: string | undefined, file: string, value: string | number, must = true): void => {
      if (dir) out.push({ dir, file, value: String(value), must });
    };
    const { memory, pids, cpu } = this.at;
    if (this.layout.version === 'v1') {
      const memsw = !!memory && existsSync(join(memory, 'memory.memsw.limit_in_bytes'));
      // memsw may never be below the limit: lift it first, so a spare limited for a smaller task can be raised.
      if (memsw) add(memory, 'memory.memsw.limit_in_bytes', -1);
      add(memory, 'memory.limit_in_bytes', l.memoryBytes);
      if (memsw) add(memory, 'memory.memsw.limit_in_bytes', l.memoryBytes);
      add(memory, 'memory.swappiness', '0', false);
      add(pids, 'pids.max', l.pids);
      add(cpu, 'cpu.cfs_period_us', CPU_PERIOD_US);
      add(cpu, 'cpu.cfs_quota_us', Math.round(l.cpus * CPU_PERIOD_US));
    } else {
      add(memory, 'memory.max', l.memoryBytes);
      if (memory && existsSync(join(memory, 'memory.swap.max'))) add(memory, 'memory.swap.max', 0);
      add(pids, 'pids.max', l.pids);
      add(cpu, 'cpu.max', `${Math.round(l.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
    }
    return out;
  }

  pids(): number[] {
    const seen = new Set<number>();
    for (const d of this.dirs) for (const p of listPids(d)) seen.add(p);
    return [...seen];
  }

  cpuMs(): number {
    if (this.layout.version === 'v1') return this.at.cpuacct ? readNumber(this.at.cpuacct, 'cpuacct.usage') / 1e6 : 0;
    return this.at.cpu ? (readKeyed(this.at.cpu, 'cpu.stat').usage_usec ?? 0) / 1e3 : 0;
  }

  usage(): CgroupUsage {
    const mem = this.at.memory;
    if (!mem) return { cpuMs: this.cpuMs(), peakMemoryBytes: 0, oomKills: 0, memoryLimitHits: 0 };
    if (this.layout.version === 'v1') {
      const memsw = existsSync(join(mem, 'memory.memsw.failcnt')) ? readNumber(mem, 'memory.memsw.failcnt') : 0;
      return {
        cpuMs: this.cpuMs(),
        peakMemoryBytes: readNumber(mem, 'memory.max_usage_in_bytes'),
        oomKills: readKeyed(mem, 'memory.oom_control').oom_kill ?? 0,
        memoryLimitHits: readNumber(mem, 'memory.failcnt') + memsw,
      };
    }
    const events = readKeyed(mem, 'memory.events');
    return { cpuMs: this.cpuMs(), peakMemoryBytes: readNumber(mem, 'memory.peak'), oomKills: events.oom_kill ?? 0, memoryLimitHits: events.max ?? 0 };
  }

  /** Stops every process of the task where it stands, so none can fork or reap while we look at them. */
  async freeze(): Promise<boolean> {
    const dir = this.at.freezer;
    if (!dir) return false;
    if (this.layout.version === 'v2') {
      if (!writeText(dir, 'cgroup.freeze', '1')) return false;
      for (let i = 0; i < 200 && !/frozen 1/.test(readText(dir, 'cgroup.events') ?? ''); i++) await sleep(1);
      return true;
    }
    if (!writeText(dir, 'freezer.state', 'FROZEN')) return false;
    for (let i = 0; i < 200 && readText(dir, 'freezer.state')?.trim() !== 'FROZEN'; i++) await sleep(1);
    return true;
  }

  thaw(): void {
    const dir = this.at.freezer;
    if (!dir) return;
    if (this.layout.version === 'v2') writeText(dir, 'cgroup.freeze', '0');
    else writeText(dir, 'freezer.state', 'THAWED');
  }

  /** SIGKILLs every process of the task: cgroup.kill on v2, else freeze → kill each → thaw (a frozen fork bomb cannot outrun us). */
  async killAll(): Promise<void> {
    if (this.layout.version === 'v2' && this.at.freezer && writeText(this.at.freezer, 'cgroup.kill', '1')) return;
    const frozen = await this.freeze();
    killPids(this.pids());
    if (frozen) this.thaw();
  }

  /** Waits until no process is left; false on timeout. */
  async waitEmpty(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.pids().length === 0) return true;
      if (Date.now() >= deadline) return false;
      await sleep(REAP_POLL_MS);
    }
  }

  /** Kills what is left, waits for it to be gone, removes the directories; false when something would not die. */
  async destroy(timeoutMs: number): Promise<boolean> {
    if (this.pids().length > 0) await this.killAll();
    const empty = await this.waitEmpty(timeoutMs);
    this.thaw();
    const removed = await Promise.all(this.dirs.map(removeDirAsync));
    return empty && removed.every(Boolean);
  }
}
