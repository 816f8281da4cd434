// The per-process rlimits of a sandbox, derived from the task's limits, as `prlimit` arguments.
import { SANDBOX_FILE_LIMITS, type Limits } from '../../contract/limits.js';

export interface Rlimits {
  /** RLIMIT_CPU seconds: soft sends SIGXCPU, hard SIGKILL (whole seconds: the cgroup watchdog is the fine-grained check). */
  cpuSoft: number;
  cpuHard: number;
  nofile: number;
  /** RLIMIT_FSIZE bytes: largest file the agent may write. */
  fsize: number;
  /** RLIMIT_NPROC: processes of the sandbox uid, including bwrap's own two. */
  nproc: number;
  core: 0;
}

export interface RlimitOptions {
  nofile?: number;
  fsizeBytes?: number;
}

/** Processes bwrap itself keeps under the sandbox uid (the outer monitor and the namespace's pid 1). */
export const SANDBOX_OVERHEAD_PROCS = 2;

export function rlimitsFor(limits: Pick<Limits, 'cpuMillis' | 'pids'>, opts: RlimitOptions = {}): Rlimits {
  const cpuSoft = Math.max(1, Math.ceil(limits.cpuMillis / 1000));
  return {
    cpuSoft,
    cpuHard: cpuSoft + 1,
    nofile: opts.nofile ?? SANDBOX_FILE_LIMITS.openFiles,
    fsize: opts.fsizeBytes ?? SANDBOX_FILE_LIMITS.fileSizeBytes,
    nproc: Math.max(1, limits.pids) + SANDBOX_OVERHEAD_PROCS,
    core: 0,
  };
}

/** `prlimit` options (util-linux): --resource=soft:hard. */
export function prlimitArgs(r: Rlimits): string[] {
  return [`--cpu=${r.cpuSoft}:${r.cpuHard}`, `--nofile=${r.nofile}:${r.nofile}`, `--fsize=${r.fsize}:${r.fsize}`, `--nproc=${r.nproc}:${r.nproc}`, `--core=0:0`];
}
