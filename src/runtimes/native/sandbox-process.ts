// One sandbox process: spawned (for its task, or ahead of it by a pool), bound to exactly one task, then retired.
import { emptyUsage, type ExecutionResult } from '../../contract/outcome.js';
import { classify, type KillReason } from '../../contract/classify.js';
import { killReasonOf } from '../../contract/abort-reason.js';
import { decodeExitStatus, type ExitStatus } from '../../contract/exit-status.js';
import { watchCpu } from '../../sandbox/kill-escalation.js';
import { CappedBuffer, LineSplitter } from '../../sandbox/output-cap.js';
import { killPids } from '../../sandbox/native/cgroup-fs.js';
import type { Rlimits } from '../../sandbox/native/rlimits.js';
import { JOIN_FAILED_EXIT, sandboxCommand } from '../../sandbox/native/sandbox-command.js';
import type { TaskCgroup } from '../../sandbox/native/task-cgroup.js';
import { taskDocument, type ExecutionTask } from '../../contract/agent.js';
import type { NativeAgentSpec } from './agent-spec.js';
import type { EgressGrant, ExecutionHooks } from '../runtime.js';
import { listenInNetns, SANDBOX_PROXY_ENV, SandboxListener } from './egress-listener.js';
import type { SandboxHost } from './sandbox-host.js';
import { StatusReader } from './sandbox-status.js';
import { CHILD_FD_SECCOMP, CHILD_FD_STATUS, type ChildExit, type SpawnedChild } from './spawner.js';

/** Output an agent writes before it is handed a task (a pooled one printing early) is held up to this, then it is discarded. */
const EARLY_OUTPUT_CAP = 1 << 20;

/**
 * How the agent ended, from bwrap's status (or bwrap's own exit when it never reported one). bwrap folds a signal
 * death into 128+n, so exit(152) reads as SIGXCPU; only RLIMIT_CPU sends that signal here, so a SIGXCPU the CPU
 * budget does not explain is an exit code the agent chose.
 */
function observedExit(bwrapCode: number | undefined, ended: ChildExit, cpuSpent: boolean): ExitStatus {
  const exit = bwrapCode !== undefined ? decodeExitStatus(bwrapCode) : { exitCode: ended.exitCode ?? -1, signal: ended.signal ?? '' };
  return exit.signal === 'SIGXCPU' && !cpuSpent && bwrapCode !== undefined ? { exitCode: exit.exitCode, signal: '' } : exit;
}

export class SandboxProcess {
  private readonly child: SpawnedChild;
  private readonly status = new StatusReader();
  private readonly stderrTail: string[] = [];
  private readonly logs: LineSplitter;
  /** stdout before a task is bound; then the task's capped buffer. */
  private early: Buffer[] | null = [];
  private earlyBytes = 0;
  private stdout: CappedBuffer | null = null;
  private onLog?: (line: string) => void;
  private pendingLogs: string[] = [];
  private reason?: KillReason;
  private killing?: Promise<void>;
  private onOverflow: () => void = () => void this.discard();
  private bound = false;
  /** A network sandbox's proxy socket in its netns (made once bwrap reported pid 1), until retire(). */
  private listener?: SandboxListener;
  /** Why ari could not set the sandbox up after it started (its egress socket): reported as SANDBOX_ERROR. */
  private setupError?: string;
  private retired = false;
  private exitedFlag = false;
  /** Settles when the sandbox's outer process exited. */
  readonly ended: Promise<void>;
  /**
   * True once bwrap reported the sandbox's pid 1 (set up, agent exec'd) and, for a network sandbox, its proxy
   * socket exists; false when it ended first (or the socket could not be made: setupError says why).
   */
  readonly ready: Promise<boolean>;

  /**
   * Spawns the agent in its sandbox. The uid and cgroup are the sandbox's until retire() hands them back.
   * `networked`: for tasks with an egress grant — inet sockets allowed, the proxy env set, the proxy socket made.
   */
  constructor(private readonly host: SandboxHost, agent: NativeAgentSpec, readonly uid: number, readonly cg: TaskCgroup, rlimits: Rlimits, readonly networked = false, readonly spawnedAt = performance.now()) {
    const { file, args } = sandboxCommand(host.tools, {
      command: agent.command!, binds: agent.binds ?? [], cwd: agent.cwd, env: networked ? { ...agent.env, ...SANDBOX_PROXY_ENV } : agent.env, uid, rlimits,
      tmpfsBytes: host.tmpfsBytes, cgroupProcs: cg.procsFiles, seccompFd: CHILD_FD_SECCOMP, statusFd: CHILD_FD_STATUS,
    });
    this.child = host.spawner.spawn(file, args, networked ? host.seccompInet : host.seccomp);
    this.logs = new LineSplitter((line) => {
      if (this.stderrTail.push(line) > 8) this.stderrTail.shift();
      if (this.onLog) this.onLog(line);
      else if (!this.bound) this.pendingLogs.push(line); // LineSplitter caps the total
    });
    this.child.onData(1, (c) => this.pushStdout(c));
    this.child.onData(2, (c) => this.logs.push(c));
    let readyNow: (ok: boolean) => void = () => {};
    const started = new Promise<boolean>((r) => { readyNow = r; });
    this.ready = networked ? started.then((ok) => ok && this.openListener()) : started;
    this.child.onData(CHILD_FD_STATUS, (c) => {
      this.status.push(c);
      if (this.status.status.childPid !== undefined) readyNow(true);
    });
    this.ended = this.child.ended.then(() => { this.exitedFlag = true; readyNow(false); });
  }

  /** Still alive and never handed a task (nor discarded): a pool may hand it out. */
  get usable(): boolean {
    return !this.bound && !this.exitedFlag;
  }

  private pushStdout(c: Buffer): void {
    if (this.stdout) {
      if (!this.stdout.push(c)) this.kill('OUTPUT_LIMIT');
      return;
    }
    this.early!.push(c);
    this.earlyBytes += c.length;
    if (this.earlyBytes > EARLY_OUTPUT_CAP) this.onOverflow();
  }

  private kill(why?: KillReason): Promise<void> {
    this.reason ??= why;
    this.killing ??= killSandbox(this.cg, this.status, () => this.child.kill(), this.child.pid);
    return this.killing;
  }

  /**
   * Hands the sandbox its task and waits for it to end. `deadline` (performance.now() ms) bounds the whole run;
   * `startedAt` is where wall time counts from (the spawn for a cold sandbox, the hand-over for a pooled one).
   */
  async run(task: ExecutionTask, signal: AbortSignal, hooks: ExecutionHooks, deadline: number, startedAt = performance.now()): Promise<ExecutionResult> {
    if (this.bound) throw new Error('a sandbox runs exactly one task');
    this.bound = true;
    this.onOverflow = () => {};
    const { limits } = task;
    this.onLog = hooks.onLog;
    for (const line of this.pendingLogs.splice(0)) this.onLog?.(line);
    this.stdout = new CappedBuffer(limits.outputBytes);
    for (const c of this.early!.splice(0)) this.pushStdout(c);
    this.early = null;

    const egress = this.networked || hooks.egress;
    if (!egress) this.child.endStdin(taskDocument(task));
    const timer = setTimeout(() => void this.kill('TIMEOUT'), Math.max(0, deadline - performance.now()));
    const cpuWatch = watchCpu(() => this.cg.cpuMs(), limits.cpuMillis, () => void this.kill('CPU_LIMIT'));
    // A LimitAbort (an egress budget crossed in the proxy) ends the task as that limit, any other abort as CANCELLED.
    const onAbort = (): void => void this.kill(killReasonOf(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    if (egress) await this.handOver(task, hooks.egress);

    const ended = await this.child.ended;
    clearTimeout(timer);
    clearInterval(cpuWatch);
    signal.removeEventListener('abort', onAbort);
    await this.killing;
    this.logs.flush();
    this.status.end();
    const wallMs = Math.round(performance.now() - startedAt);
    try {
      return this.outcome(task, ended, wallMs);
    } finally {
      this.retire();
    }
  }

  private outcome(task: ExecutionTask, ended: ChildExit, wallMs: number): ExecutionResult {
    const { limits } = task;
    const stdout = this.stdout!;
    const cgUsage = this.cg.usage();
    const st = this.status.status;
    const cpuSpent = cgUsage.cpuMs >= limits.cpuMillis;
    const exit = observedExit(st.exitCode, ended, cpuSpent);
    const usage = { ...emptyUsage(), wallMs, cpuMs: Math.round(cgUsage.cpuMs), peakMemoryBytes: cgUsage.peakMemoryBytes, exitCode: exit.exitCode, signal: exit.signal, outputBytes: stdout.total };
    const neverStarted = st.childPid === undefined || (ended.exitCode === JOIN_FAILED_EXIT && st.exitCode === undefined);
    const sandboxError = this.setupError ?? (neverStarted && !this.reason ? this.stderrTail.join('\n') || `sandbox exited with ${ended.exitCode ?? ended.signal}` : undefined);
    return classify({ killedFor: this.reason, sandboxError, oomKilled: cgUsage.oomKills > 0, cpuSpent, exit, stdout: stdout.toString() }, usage, limits);
  }

  /** Makes the proxy socket in the sandbox's netns; pid 1 must still be in our cgroup, so the pid is not a stranger's. */
  private async openListener(): Promise<boolean> {
    const pid = this.status.status.childPid!;
    try {
      if (!this.host.nsenter) throw new Error('nsenter not found: install util-linux (network agents need it)');
      if (!this.cg.pids().includes(pid)) return false; // ended meanwhile
      this.listener = new SandboxListener(await listenInNetns(this.host.spawner, this.host.nsenter, pid));
      if (this.retired) this.listener.close();
      return !this.exitedFlag;
    } catch (e) {
      this.setupError = `egress listener: ${(e as Error).message}`;
      return false;
    }
  }

  /** A network sandbox gets its task only once its proxy socket serves the task's session (and no other). */
  private async handOver(task: ExecutionTask, grant?: EgressGrant): Promise<void> {
    if (grant && !this.networked) this.setupError = 'egress: the sandbox was started without network';
    else if ((await this.ready) && !this.killing) {
      try {
        if (grant) await this.listener!.attach(grant);
        else this.listener!.close(); // a pooled network sandbox serving a task without a grant: nothing answers it
      } catch (e) {
        this.setupError = `egress: ${(e as Error).message}`;
      }
    }
    if (this.setupError) void this.kill();
    else this.child.endStdin(taskDocument(task));
  }

  /** Ends an unused sandbox (pool shrink or close, or an idle agent that misbehaved) and retires it. */
  async discard(): Promise<void> {
    this.bound = true; // never to be handed a task now
    this.onOverflow = () => {};
    await this.kill();
    await this.child.ended;
    this.retire();
  }

  /** Hands the uid and cgroup back (off the answer's path: the host removes the cgroup, then frees the uid). Once. */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.listener?.close();
    this.host.retire(this.cg, this.uid);
  }
}

/**
 * Kills the whole sandbox. The namespace's pid 1 gets the SIGKILL: the kernel then kills everything in the
 * namespace and bwrap, still alive, reaps it and exits (killing bwrap too would orphan pid 1 to the host's slow
 * init). pid 1 is killed only while it is listed in our cgroup, so the pid cannot have been reused by anyone
 * outside the sandbox. Before pid 1 exists (bwrap still setting up), everything in the cgroup is killed with
 * the cgroup frozen, so nothing can fork or reap while we pick targets. The rest of the namespace (never bwrap's
 * monitor, `outer`) is killed with pid 1: pid 1 can hang in exit on a pipe whose lock another process holds while
 * it blocks in splice(2) reading a socket (busybox `cat` of the task's stdin did: the sandbox never ended), and the
 * kernel reaches those processes only after pid 1's exit got that far.
 */
async function killSandbox(cg: TaskCgroup, status: StatusReader, killOuter: () => void, outer?: number): Promise<void> {
  const pid1 = status.status.childPid;
  const inside = cg.pids();
  if (pid1 !== undefined && inside.includes(pid1)) {
    killPids([pid1, ...inside.filter((p) => p !== pid1 && p !== outer)]);
    return;
  }
  const frozen = await cg.freeze();
  const pids = cg.pids();
  if (pids.length) killPids(pids);
  else killOuter(); // not yet in the cgroup (or already gone: then this is a no-op)
  if (frozen) cg.thaw();
}
