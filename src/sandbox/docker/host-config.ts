// The hardened container settings every task runs with: limits → Docker HostConfig fields (API 1.41 names).
import { SANDBOX_FILE_LIMITS, type Limits } from '../../contract/limits.js';

/** The subset of Docker's HostConfig we set (field names as the Engine API spells them). */
export interface HardenedHostConfig {
  /** 'none', or the name of the internal egress network (only for a task with a network policy). */
  NetworkMode: string;
  /** With a network: the resolver the engine's embedded DNS forwards to (nothing: the sandbox never resolves). */
  Dns?: string[];
  Memory: number;
  MemorySwap: number;
  NanoCpus?: number;
  PidsLimit: number;
  ReadonlyRootfs: true;
  CapDrop: ['ALL'];
  SecurityOpt: string[];
  Tmpfs: Record<string, string>;
  ShmSize: number;
  Ulimits: { Name: string; Soft: number; Hard: number }[];
  LogConfig: { Type: 'none'; Config: Record<string, string> };
  IpcMode: 'private';
  OomKillDisable: false;
  Init: false;
  AutoRemove: false;
  CgroupParent?: string;
}

/**
 * cpu mapping: `cpuMillis` is a CPU-time budget (like RLIMIT_CPU), not a rate. The container is throttled to
 * one CPU and the runtime enforces the budget by polling the task's cgroup (→ CPU_LIMIT).
 */
export const NANO_CPUS = 1_000_000_000;
export const TMPFS_BYTES = SANDBOX_FILE_LIMITS.fileSizeBytes;
/** The largest file an agent may write (in /tmp or an image volume, the only writable places). */
export const FSIZE_BYTES = TMPFS_BYTES;
export const NOFILE = SANDBOX_FILE_LIMITS.openFiles;
/** Runs as nobody: no file in the image or the host belongs to it. */
export const AGENT_UID = 65534;
export const AGENT_USER = `${AGENT_UID}:${AGENT_UID}`;
/**
 * With a fenced cgroup parent the container's own memory limit sits this far above the parent's, so the parent's
 * limit is the one hit and the OOM kill is recorded there (v1 records it only in the cgroup whose limit was hit).
 */
export const PARENT_FENCE_SLACK_BYTES = 1024 * 1024;

/**
 * The pool key: every limit, generically (a limit added to the table changes the key without a change here), so a
 * pooled container started under other limits is never handed a task.
 */
export function containerLimitsKey(limits: Limits): string {
  return JSON.stringify(Object.entries(limits).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Owned by the agent's uid (as native's /tmp is) and sticky-world-writable, size-capped; tmpfs pages count against
 * memory. The owner matters: the engine resets the mode of the working directory (/tmp) to 0755.
 */
const scratchTmpfs = `rw,noexec,nosuid,nodev,mode=1777,uid=${AGENT_UID},gid=${AGENT_UID},size=${TMPFS_BYTES}`;

export interface HostConfigOptions {
  seccompJson: string;
  /** A fenced parent (TaskCgroup.create ran): it holds the CPU cap and the exact memory limit. */
  cgroupParent?: string;
  /** The image's declared VOLUMEs (normalised): each is masked by a tmpfs, so none becomes host storage. */
  volumes?: readonly string[];
  /** The internal egress network to attach to (a task with a network policy); unset = no network at all. */
  network?: string;
}

/** The embedded DNS forwards from the container's own namespace: to 0.0.0.0, i.e. its loopback, where nothing answers. */
export const NO_RESOLVER = ['0.0.0.0'];

export function hardenedHostConfig(limits: Limits, o: HostConfigOptions): HardenedHostConfig {
  const memory = limits.memoryBytes + (o.cgroupParent ? PARENT_FENCE_SLACK_BYTES : 0);
  const tmpfs: Record<string, string> = { '/tmp': scratchTmpfs };
  for (const v of o.volumes ?? []) tmpfs[v] = scratchTmpfs;
  const hc: HardenedHostConfig = {
    NetworkMode: 'none',
    // Memory = MemorySwap: no swap, so the limit is hit (OOMKilled) instead of thrashing.
    Memory: memory,
    MemorySwap: memory,
    PidsLimit: limits.pids,
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges', `seccomp=${o.seccompJson}`],
    Tmpfs: tmpfs,
    ShmSize: TMPFS_BYTES,
    Ulimits: [
      { Name: 'nofile', Soft: NOFILE, Hard: NOFILE },
      { Name: 'fsize', Soft: FSIZE_BYTES, Hard: FSIZE_BYTES },
      { Name: 'core', Soft: 0, Hard: 0 },
    ],
    LogConfig: { Type: 'none', Config: {} },
    IpcMode: 'private',
    OomKillDisable: false,
    Init: false,
    AutoRemove: false,
  };
  // v1 refuses a child CPU quota above its parent's, and the parent's is lowered while a container is pooled:
  // with a fenced parent the one-CPU cap is the parent's; without one it is the engine's.
  if (o.network) { hc.NetworkMode = o.network; hc.Dns = NO_RESOLVER; }
  if (o.cgroupParent) hc.CgroupParent = o.cgroupParent;
  else hc.NanoCpus = NANO_CPUS;
  return hc;
}
