// The cgroup pieces on a real host: detection, a task cgroup's limits, freeze-kill of a process tree, removal, sweeping a dead daemon's tree.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroups, type CgroupLayout, type Controller } from '../../src/sandbox/native/cgroup-detect.js';
import { CgroupTree, staleSubtrees, sweepStaleCgroups } from '../../src/sandbox/native/cgroup-tree.js';
import { TaskCgroup } from '../../src/sandbox/native/task-cgroup.js';
import { sleep } from './native-helpers.js';

let layout: CgroupLayout;
let tree: CgroupTree;
beforeAll(() => {
  const l = detectCgroups();
  if (!l) throw new Error('no cgroup memory controller on this host: the native backend needs cgroup v1 or v2 with memory (run as root; see scripts/setup-host.sh)');
  layout = l;
  tree = CgroupTree.open(layout);
});
afterAll(async () => { await tree?.close(); });

/** Starts a shell that joins the cgroup, then forks two sleepers (the way the sandbox wrapper joins). */
function startTreeIn(cg: TaskCgroup): void {
  const script = 'for f in "$@"; do echo $$ > "$f"; done; sleep 100 & sleep 100 & wait';
  spawn('/bin/sh', ['-c', script, 'x', ...cg.procsFiles], { stdio: 'ignore' }).unref();
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(5);
}

describe('cgroups', () => {
  it('detects the memory, pids, cpu, cpuacct and freezer controllers', () => {
    for (const c of ['memory', 'pids', 'cpu', 'cpuacct', 'freezer'] as Controller[]) expect(layout.dirs[c], c).toBeTruthy();
    expect(tree.features()).toMatchObject({ memory: 'yes', pids: 'yes', freezer: 'yes' });
  });

  it('creates a task cgroup with the memory (+swap), pids and cpu limits', async () => {
    const cg = tree.createTask('limits', { memoryBytes: 48 << 20, pids: 7, cpus: 0.5 });
    try {
      const read = (c: Controller, f: string): string => readFileSync(join(cg.dirs.find((d) => d.startsWith(layout.dirs[c]!))!, f), 'utf8').trim();
      if (layout.version === 'v1') {
        expect(read('memory', 'memory.limit_in_bytes')).toBe(String(48 << 20));
        if (tree.features().memsw === 'yes') expect(read('memory', 'memory.memsw.limit_in_bytes')).toBe(String(48 << 20));
        expect(read('cpu', 'cpu.cfs_quota_us')).toBe('50000');
      } else {
        expect(read('memory', 'memory.max')).toBe(String(48 << 20));
        expect(read('cpu', 'cpu.max')).toBe('50000 100000');
      }
      expect(read('pids', 'pids.max')).toBe('7');
    } finally {
      expect(await tree.destroyTask(cg)).toBe(true);
    }
    for (const d of cg.dirs) expect(existsSync(d)).toBe(false);
  });

  it('keeps empty spares ready, limits one when a task takes it, and removes them on close', async () => {
    const own = CgroupTree.open(layout);
    own.keepSpares(2);
    await until(() => own.spareCount === 2);
    expect(own.spareCount).toBe(2);
    const cg = own.takeTask({ memoryBytes: 40 << 20, pids: 5, cpus: 1 });
    const pidsDir = cg.dirs.find((d) => d.startsWith(layout.dirs.pids!))!;
    expect(readFileSync(join(pidsDir, 'pids.max'), 'utf8').trim()).toBe('5');
    await until(() => own.spareCount === 2); // refilled in the background
    expect(own.spareCount).toBe(2);
    expect(await own.close()).toBe(true);
    for (const d of own.treeDirs) expect(existsSync(d)).toBe(false);
  });

  it('kills a whole process tree and removes the cgroup', async () => {
    const cg = tree.createTask('kill', { memoryBytes: 64 << 20, pids: 16, cpus: 1 });
    startTreeIn(cg);
    await until(() => cg.pids().length >= 3);
    const pids = cg.pids();
    expect(pids.length).toBe(3);
    await cg.killAll();
    expect(await cg.waitEmpty(2000)).toBe(true);
    for (const p of pids) expect(existsSync(`/proc/${p}/cmdline`) && readFileSync(`/proc/${p}/cmdline`, 'utf8') !== '', `pid ${p}`).toBe(false);
    expect(await tree.destroyTask(cg)).toBe(true);
    for (const d of cg.dirs) expect(existsSync(d)).toBe(false);
  });

  it('reports cpu and peak memory usage', async () => {
    const cg = tree.createTask('usage', { memoryBytes: 64 << 20, pids: 16, cpus: 1 });
    try {
      const script = 'for f in "$@"; do echo $$ > "$f"; done; i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done';
      await new Promise((r) => spawn('/bin/sh', ['-c', script, 'x', ...cg.procsFiles], { stdio: 'ignore' }).on('exit', r));
      const u = cg.usage();
      expect(u.cpuMs).toBeGreaterThan(1);
      expect(u.peakMemoryBytes).toBeGreaterThan(0);
      expect(u.oomKills).toBe(0);
    } finally {
      await tree.destroyTask(cg);
    }
  });

  it('sweeps the subtree of a daemon that is gone, killing what it left running', async () => {
    const dead = 'ari-4194305.1.1'; // above pid_max: never a live process
    const parents: Partial<Record<Controller, string>> = {};
    for (const [c, dir] of Object.entries(layout.dirs) as [Controller, string][]) {
      parents[c] = join(dir, dead);
      if (!existsSync(parents[c]!)) mkdirSync(parents[c]!);
    }
    const cg = TaskCgroup.create(layout, parents, 'task-left', { memoryBytes: 64 << 20, pids: 16, cpus: 1 });
    startTreeIn(cg);
    await until(() => cg.pids().length >= 3);
    const stale = staleSubtrees(layout);
    for (const d of Object.values(parents)) expect(stale).toContain(d);
    expect(stale.some((d) => d.includes(tree.name))).toBe(false); // a live daemon's tree is never swept
    await sweepStaleCgroups();
    expect(cg.pids()).toEqual([]);
    for (const d of Object.values(parents)) expect(existsSync(d!)).toBe(false);
  });
});
