// Looks at this host for what sandboxes leave behind: sandbox-uid processes, our cgroups, labelled containers, temp dirs.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface HostProcess { pid: number; uid: number; comm: string }

/**
 * Which of the host's sandboxes belong to the daemon under test: its sandbox uid range, and when known its
 * pid (native cgroup trees are named ari-<pid>.<starttime>) and id (the ari.daemon container label).
 * Other daemons on the host (a CI box running several) are then not mistaken for leaks.
 */
export interface HostScope {
  uidStart: number;
  uidCount: number;
  daemonPid?: number;
  daemonId?: string;
  /** A temp directory only the daemon uses (in-process: its private TMPDIR); everything in it counts. */
  privateTmp?: string;
}

/** Processes whose real uid is in the daemon's sandbox uid range (native tasks run as such uids). */
export function sandboxProcesses(scope: HostScope): HostProcess[] {
  const found: HostProcess[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return found;
  }
  for (const pid of pids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    if (uid >= scope.uidStart && uid < scope.uidStart + scope.uidCount) found.push({ pid: Number(pid), uid, comm: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?' });
  }
  return found;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
  } catch {
    return [];
  }
}

/**
 * Every cgroup directory named ari-* (v1: under each controller; v2: at the root) with all their descendants.
 * Directories named after a daemon process (native trees ari-<pid>.<start>, docker parents <pid>.<start>-<n>)
 * are kept only for the scope's daemon pid, when known.
 */
export function ariCgroups(scope: Partial<HostScope> = {}, root = '/sys/fs/cgroup'): string[] {
  const mine = (name: string) => {
    const owner = /^(?:ari-)?(\d+)\.\d+/.exec(name);
    return scope.daemonPid === undefined || !owner || Number(owner[1]) === scope.daemonPid;
  };
  const tops = [root, ...subdirs(root)].flatMap((d) => subdirs(d).filter((p) => basename(p).startsWith('ari-') && mine(basename(p))));
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    out.push(d);
    if (depth < 4) for (const s of subdirs(d)) if (mine(basename(s))) walk(s, depth + 1);
  };
  for (const t of new Set(tops)) walk(t, 0);
  return out;
}

export interface LabelledContainer { id: string; state: string; daemon: string; /** Its `ari.task` label: the task id, or `(pool)` for a pre-started one. */ task: string }

/** Containers carrying the ari.daemon label (only the scope's daemon's when its id is known), via the docker CLI; an Error when docker cannot be asked. */
export function ariContainers(scope: Partial<HostScope> = {}): Promise<LabelledContainer[] | Error> {
  return new Promise((resolve) => {
    execFile('docker', ['ps', '-a', '--no-trunc', '--filter', 'label=ari.daemon', '--format', '{{.ID}}\t{{.State}}\t{{.Label "ari.daemon"}}\t{{.Label "ari.task"}}'],
      { timeout: 15_000 }, (err, stdout, stderr) => {
        if (err) return resolve(new Error(`docker ps failed: ${(stderr || err.message).trim()}`));
        resolve(stdout.split('\n').filter(Boolean).map((l) => {
          const [id = '', state = '', daemon = '', task = ''] = l.split('\t');
          return { id: id.slice(0, 12), state, daemon, task };
        }).filter((c) => scope.daemonId === undefined || c.daemon === scope.daemonId));
      });
  });
}

/** The daemon's private temp dir's entries, else the shared temp dir's ari-* entries minus the scratch dirs of this suite, tests and benches. */
export function ariTempEntries(scope: Partial<HostScope> = {}): string[] {
  const dir = scope.privateTmp ?? tmpdir();
  try {
    // In a private dir everything counts but the caches of the TypeScript loader and test runner sharing the process.
    const counts = scope.privateTmp
      ? (n: string) => !/^(tsx|vite|vitest)\b/.test(n)
      : (n: string) => n.startsWith('ari') && !/^ari-(conformance|test|bench)-|-test-/.test(n);
    return readdirSync(dir).filter(counts).map((n) => join(dir, n));
  } catch {
    return [];
  }
}

/** Resident set size of a process in bytes (from /proc), or null. */
export function rssOf(pid: number): number | null {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}
