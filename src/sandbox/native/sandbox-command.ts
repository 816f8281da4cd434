// Builds the argv that runs one agent in a fresh sandbox: close inherited fds, join cgroups → setpriv (uid, pdeathsig) → prlimit → bwrap.
import { prlimitArgs, type Rlimits } from './rlimits.js';

export interface SandboxTools {
  sh: string;
  /** Runs the first step: dash cannot close descriptors above 9, bash can. */
  bash: string;
  setpriv: string;
  prlimit: string;
  bwrap: string;
}

export interface SandboxSpec {
  /** The agent's argv; argv[0] absolute. */
  command: string[];
  /** Absolute host paths bound read-only at the same place (a dynamic binary's loader and libraries go here too). */
  binds: string[];
  cwd?: string;
  /** The agent's whole environment. */
  env: Record<string, string>;
  uid: number;
  rlimits: Rlimits;
  /** Size of the private /tmp; its pages count against the memory cgroup too. */
  tmpfsBytes: number;
  /** cgroup.procs files the first process joins (as root, before anything else runs). */
  cgroupProcs: string[];
  /** Child fd carrying the BPF program for `bwrap --seccomp`. */
  seccompFd?: number;
  /** Child fd bwrap writes its JSON status to (the sandbox pid 1's host pid, then the exit code). */
  statusFd?: number;
}

export const SANDBOX_HOSTNAME = 'ari';
/** Exit code of the cgroup-join wrapper when the kernel refuses the pid: the agent never ran. */
export const JOIN_FAILED_EXIT = 125;

/** bash that closes every descriptor of the shell but `keep` (a glob over /proc/$$/fd: no helper binary needed). */
export function closeInheritedScript(keep: readonly number[]): string {
  return `for f in /proc/$$/fd/*; do f=\${f##*/}; case $f in ${keep.join('|')}) ;; *) eval "exec $f>&-";; esac; done`;
}

/** bash options for our scripts: with stdin a socket, bash thinks rshd started it and would source root's ~/.bashrc. */
export const BASH_OPTIONS = ['--norc', '--noprofile'];

/**
 * The first step, as root. It closes every descriptor but stdio and the ones bwrap is handed: Node marks only
 * its own descriptors close-on-exec, so whatever the daemon inherited (a supervisor's pipe, a host file on fd 40)
 * would otherwise reach the agent. Then it joins the cgroups, race-free because the process joins itself before
 * exec'ing setpriv: bwrap, the agent and every descendant inherit the cgroup at fork.
 */
function joinScript(keep: readonly number[]): string {
  return `${closeInheritedScript(keep)}; while [ "$1" != -- ]; do echo $$ > "$1" || exit ${JOIN_FAILED_EXIT}; shift; done; shift; exec "$@"`;
}

export function bwrapArgs(spec: SandboxSpec): string[] {
  const [bin] = spec.command;
  const args = [
    '--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--disable-userns', // no nested user namespaces even if the seccomp filter missed a route
    '--die-with-parent', '--new-session',
    '--as-pid-1', // no bwrap reaper inside: the agent is pid 1, so its death ends the namespace and everything in it
    '--cap-drop', 'ALL', '--clearenv', '--hostname', SANDBOX_HOSTNAME,
  ];
  for (const [k, v] of Object.entries(spec.env)) args.push('--setenv', k, v);
  // The private /tmp first, binds after: an agent installed under the host's /tmp stays visible on top of it.
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(spec.tmpfsBytes), '--tmpfs', '/tmp');
  for (const p of [bin, ...spec.binds]) args.push('--ro-bind', p, p);
  // Read-only /dev leaves /dev/shm unwritable; read-only / leaves /tmp the only writable place.
  args.push('--remount-ro', '/dev', '--remount-ro', '/', '--chdir', spec.cwd ?? '/');
  if (spec.seccompFd !== undefined) args.push('--seccomp', String(spec.seccompFd));
  if (spec.statusFd !== undefined) args.push('--json-status-fd', String(spec.statusFd));
  args.push('--', ...spec.command);
  return args;
}

/** The full command: [file, ...args]. */
export function sandboxCommand(tools: SandboxTools, spec: SandboxSpec): { file: string; args: string[] } {
  const uid = String(spec.uid);
  const chain = [
    // uid change and pdeathsig on the SAME setpriv: a uid change clears a pdeathsig set before it.
    tools.setpriv, '--reuid', uid, '--regid', uid, '--clear-groups', '--no-new-privs', '--pdeathsig', 'KILL',
    tools.prlimit, ...prlimitArgs(spec.rlimits), '--',
    tools.bwrap, ...bwrapArgs(spec),
  ];
  const keep = [0, 1, 2, ...[spec.seccompFd, spec.statusFd].filter((fd): fd is number => fd !== undefined)];
  return { file: tools.bash, args: [...BASH_OPTIONS, '-c', joinScript(keep), 'ari-sandbox', ...spec.cgroupProcs, '--', ...chain] };
}
