// The hardened container settings every task runs with: limits → Docker HostConfig fields (API 1.41 names).
import type { Limits } from '../../contract/limits.js';

/** The subset of Docker's HostConfig we set (field names as the Engine API spells them). */
export interface HardenedHostConfig {
  NetworkMode: 'none';
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  PidsLimit: number;
  ReadonlyRootfs: true;
  CapDrop: ['ALL'];
  SecurityOpt: string[];
  Tmpfs: Record<string, string>;
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
 * one CPU (NanoCpus = 1e9) and the runtime enforces the budget by polling the task's cgroup (→ CPU_LIMIT).
 */
export const NANO_CPUS = 1_000_000_000;
export const TMPFS_BYTES = 16 * 1024 * 1024;
/** The largest file an agent may write (in /tmp, the only writable place). */
export const FSIZE_BYTES = TMPFS_BYTES;
export const NOFILE = 256;
/** Runs as nobody: no file in the image or the host belongs to it. */
export const AGENT_USER = '65534:65534';

/** The limits baked into a container at creation; a pooled container serves only tasks with equal ones. */
export type ContainerLimits = Pick<Limits, 'memoryBytes' | 'pids'>;

export function containerLimitsKey(l: ContainerLimits): string {
  return `${l.memoryBytes}/${l.pids}`;
}

export function hardenedHostConfig(limits: ContainerLimits, seccompJson: string, cgroupParent?: string): HardenedHostConfig {
  const hc: HardenedHostConfig = {
    NetworkMode: 'none',
    // Memory = MemorySwap: no swap, so the limit is hit (OOMKilled) instead of thrashing.
    Memory: limits.memoryBytes,
    MemorySwap: limits.memoryBytes,
    NanoCpus: NANO_CPUS,
    PidsLimit: limits.pids,
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges', `seccomp=${seccompJson}`],
    Tmpfs: { '/tmp': `rw,noexec,nosuid,nodev,size=${TMPFS_BYTES}` },
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
  if (cgroupParent) hc.CgroupParent = cgroupParent;
  return hc;
}
