// What every native sandbox shares: the host's tools, cgroup subtree, uid pool and seccomp program, and where retired sandboxes go.
import type { Logger } from 'pino';
import type { CgroupTree } from '../../sandbox/native/cgroup-tree.js';
import type { Limits } from '../../contract/limits.js';
import { rlimitsFor, type Rlimits } from '../../sandbox/native/rlimits.js';
import type { SandboxTools } from '../../sandbox/native/sandbox-command.js';
import type { CgroupLimits, TaskCgroup } from '../../sandbox/native/task-cgroup.js';
import type { UidPool } from '../../sandbox/native/uid-pool.js';
import type { Spawner } from './spawner.js';

export interface SandboxHost {
  tools: SandboxTools;
  /** Forks every sandbox chain, so the daemon's own event loop never waits on a fork of itself. */
  spawner: Spawner;
  tree: CgroupTree;
  uids: UidPool;
  /** The compiled seccomp program, fed to each sandbox on its own pipe (bwrap reads it to EOF). */
  seccomp: Uint8Array;
  /** The same with AF_INET/AF_INET6 allowed: only for sandboxes of tasks with an egress grant (their netns has only lo and the proxy). */
  seccompInet: Uint8Array;
  /** Makes a network sandbox's proxy socket inside its netns (egress-listener.ts); null when util-linux's nsenter is missing. */
  nsenter: string | null;
  tmpfsBytes: number;
  /** CPU bandwidth per task, in cores. */
  cpus: number;
  logger: Logger;
  /** Takes back a sandbox's cgroup and uid once it ended: removes the cgroup, then frees the uid (never before it is empty). */
  retire(cg: TaskCgroup, uid: number): void;
  /** Discards one idle pooled sandbox, if any, so its uid goes to a task waiting for one. */
  reclaimIdle(): void;
}

/** The cgroup also holds bwrap's monitor and the wrapper; give the agent its full pid budget on top. */
const CGROUP_PID_OVERHEAD = 2;

/** Everything a sandbox is started with that depends on the task's limits (the rest, e.g. the timeout, is enforced from outside). */
export interface SandboxLimits {
  cgroup: CgroupLimits;
  rlimits: Rlimits;
  /** Equal keys mean interchangeable sandboxes: a pooled one serves a task only when its key matches. */
  key: string;
}

export function sandboxLimits(host: Pick<SandboxHost, 'tmpfsBytes' | 'cpus'>, limits: Limits): SandboxLimits {
  const cgroup = { memoryBytes: limits.memoryBytes, pids: limits.pids + CGROUP_PID_OVERHEAD, cpus: host.cpus };
  const rlimits = rlimitsFor(limits, { fsizeBytes: host.tmpfsBytes });
  return { cgroup, rlimits, key: JSON.stringify([cgroup, rlimits]) };
}
