// What sandboxes can leave on the host: processes of sandbox uids, ari-* cgroups, containers labelled ari.daemon.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SANDBOX_UID_MIN = 2_000_000;

/** Pids whose real uid is a sandbox uid (native tasks run under per-task uids from 2,000,000 up). */
export function sandboxProcesses(minUid = SANDBOX_UID_MIN): { pid: number; uid: number; cmd: string }[] {
  const out: { pid: number; uid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const status = readFileSync(`/proc/${e}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      if (uid >= minUid) out.push({ pid: Number(e), uid, cmd: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?' });
    } catch { /* exited while we looked */ }
  }
  return out;
}

/** Cgroup directories named ari-* directly under a hierarchy (v1: /sys/fs/cgroup/<controller>/, v2: /sys/fs/cgroup/). */
export function ariCgroups(root = '/sys/fs/cgroup'): string[] {
  if (!existsSync(root)) return [];
  const parents = [root, ...readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(root, e.name))];
  const out: string[] = [];
  for (const p of parents) {
    try {
      for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory() && e.name.startsWith('ari-')) out.push(join(p, e.name));
    } catch { /* unreadable controller */ }
  }
  return out;
}

/** Containers (any state) labelled ari.daemon; null when no Docker engine answers. */
export function ariContainers(): string[] | null {
  try {
    const ids = execFileSync('docker', ['ps', '-a', '--filter', 'label=ari.daemon', '--format', '{{.ID}} {{.Label "ari.daemon"}}'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return ids.split('\n').filter(Boolean);
  } catch {
    return null;
  }
}

export interface LeakSnapshot {
  processes: string[];
  cgroups: string[];
  containers: string[] | null;
}

export function snapshot(): LeakSnapshot {
  return {
    processes: sandboxProcesses().map((p) => `${p.pid} uid=${p.uid} ${p.cmd}`),
    cgroups: ariCgroups(),
    containers: ariContainers(),
  };
}

/** What `after` has that `before` had not (leftovers of other experiments on the host are not ours). */
export function leaked(before: LeakSnapshot, after: LeakSnapshot): LeakSnapshot {
  const fresh = (a: string[] | null, b: string[] | null) => (a === null ? null : a.filter((x) => !(b ?? []).includes(x)));
  return {
    processes: fresh(after.processes, before.processes)!,
    cgroups: fresh(after.cgroups, before.cgroups)!,
    containers: fresh(after.containers, before.containers),
  };
}
