// Runs one task in one fresh native sandbox and turns however it ended into an ExecutionResult.
import { execa } from 'execa';
import type { Logger } from 'pino';
import { emptyUsage, type ErrorCode, type ExecutionResult, type TerminalStatus } from '../../sandbox/limits.js';
import { CappedBuffer, LineSplitter } from '../../sandbox/output-cap.js';
import type { CgroupTree } from '../../sandbox/native/cgroup-tree.js';
import { killPids } from '../../sandbox/native/cgroup-fs.js';
import { rlimitsFor } from '../../sandbox/native/rlimits.js';
import { JOIN_FAILED_EXIT, sandboxCommand, type SandboxTools } from '../../sandbox/native/sandbox-command.js';
import type { TaskCgroup } from '../../sandbox/native/task-cgroup.js';
import type { UidPool } from '../../sandbox/native/uid-pool.js';
import { parseAgentOutput } from '../agent-output.js';
import { taskDocument, type AgentSpec, type ExecutionHooks, type ExecutionTask } from '../runtime.js';
import { decodeExit, StatusReader } from './sandbox-status.js';

export interface SandboxHost {
  tools: SandboxTools;
  tree: CgroupTree;
  uids: UidPool;
  /** The compiled seccomp program, fed to each sandbox on its own pipe (bwrap reads it to EOF). */
  seccomp: Uint8Array;
  tmpfsBytes: number;
  /** CPU bandwidth per task, in cores. */
  cpus: number;
  logger: Logger;
}

/** Why we ended the sandbox ourselves; the first reason wins. */
type KillReason = 'TIMEOUT' | 'CPU_LIMIT' | 'OUTPUT_LIMIT' | 'CANCELLED';
const CHILD_FD_SECCOMP = 3;
const CHILD_FD_STATUS = 4;
const CPU_POLL_MS = 20;
/** The cgroup also holds bwrap's monitor and the wrapper; give the agent its full pid budget on top. */
const CGROUP_PID_OVERHEAD = 2;
let sequence = 0;

function result(status: TerminalStatus, usage: ExecutionResult['usage'], code?: ErrorCode, message?: string): ExecutionResult {
  return { status, usage, metrics: {}, ...(code ? { error: { code, message: message ?? code } } : {}) };
}

const KILL_MESSAGES: Record<KillReason, (t: ExecutionTask) => string> = {
  TIMEOUT: (t) => `timed out after ${t.limits.timeoutMs} ms`,
  CPU_LIMIT: (t) => `CPU time limit of ${t.limits.cpuMillis} ms exceeded`,
  OUTPUT_LIMIT: (t) => `output exceeded ${t.limits.outputBytes} bytes`,
  CANCELLED: () => 'cancelled',
};

export async function executeSandboxed(host: SandboxHost, agent: AgentSpec, task: ExecutionTask, signal: AbortSignal, hooks: ExecutionHooks = {}): Promise<ExecutionResult> {
  // The deadline counts from here: sandbox set-up is part of the task's time, so a loaded host cannot stretch it.
  const deadline = performance.now() + task.limits.timeoutMs;
  if (signal.aborted) return result('CANCELLED', emptyUsage(), 'CANCELLED', 'cancelled before start');
  let uid: number;
  try {
    uid = await host.uids.acquire(signal);
  } catch {
    return result('CANCELLED', emptyUsage(), 'CANCELLED', 'cancelled while waiting for a sandbox uid');
  }
  let cg: TaskCgroup;
  try {
    const name = `${++sequence}-${task.taskId.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 48)}`;
    cg = host.tree.createTask(name, { memoryBytes: task.limits.memoryBytes, pids: task.limits.pids + CGROUP_PID_OVERHEAD, cpus: host.cpus });
  } catch (e) {
    host.uids.release(uid);
    return result('FAILED', emptyUsage(), 'SANDBOX_ERROR', `cannot create the task cgroup: ${(e as Error).message}`);
  }
  try {
    return await runInCgroup(host, agent, task, signal, hooks, uid, cg, deadline);
  } finally {
    // Only a cgroup proven empty frees its uid: a stray process would otherwise share NPROC with the next task.
    if (await host.tree.destroyTask(cg)) host.uids.release(uid);
    else host.logger.error({ uid, task_id: task.taskId, pids: cg.pids() }, 'native sandbox left processes that would not die; uid quarantined');
  }
}

async function runInCgroup(host: SandboxHost, agent: AgentSpec, task: ExecutionTask, signal: AbortSignal, hooks: ExecutionHooks, uid: number, cg: TaskCgroup, deadline: number): Promise<ExecutionResult> {
  const { limits } = task;
  const { file, args } = sandboxCommand(host.tools, {
    command: agent.command!,
    binds: agent.binds ?? [],
    cwd: agent.cwd,
    env: agent.env,
    uid,
    rlimits: rlimitsFor(limits, { fsizeBytes: host.tmpfsBytes }),
    tmpfsBytes: host.tmpfsBytes,
    cgroupProcs: cg.procsFiles,
    seccompFd: CHILD_FD_SECCOMP,
    statusFd: CHILD_FD_STATUS,
  });
  const started = performance.now();
  const child = execa(file, args, {
    stdio: ['pipe', 'pipe', 'pipe', host.seccomp, 'pipe'],
    env: {},
    extendEnv: false,
    buffer: false,
    reject: false,
    stripFinalNewline: false,
  });

  const stdout = new CappedBuffer(limits.outputBytes);
  const status = new StatusReader();
  const stderrTail: string[] = [];
  const logs = new LineSplitter((line) => {
    if (stderrTail.push(line) > 8) stderrTail.shift();
    hooks.onLog?.(line);
  });
  let reason: KillReason | undefined;
  let killing: Promise<void> | undefined;
  const kill = (why: KillReason): void => {
    reason ??= why;
    killing ??= killSandbox(cg, status, () => child.kill('SIGKILL'));
  };

  child.stdin?.on('error', () => {}); // an agent that exits without reading its input is not our error
  child.stdin?.end(taskDocument(task));
  child.stdout?.on('data', (c: Buffer) => { if (!stdout.push(c)) kill('OUTPUT_LIMIT'); });
  child.stderr?.on('data', (c: Buffer) => logs.push(c));
  child.stdio[CHILD_FD_STATUS]?.on('data', (c: Buffer) => status.push(c));
  const timer = setTimeout(() => kill('TIMEOUT'), Math.max(0, deadline - performance.now()));
  const cpuWatch = setInterval(() => { if (cg.cpuMs() >= limits.cpuMillis) kill('CPU_LIMIT'); }, CPU_POLL_MS);
  const onAbort = (): void => kill('CANCELLED');
  signal.addEventListener('abort', onAbort, { once: true });

  const ended = await child;
  clearTimeout(timer);
  clearInterval(cpuWatch);
  signal.removeEventListener('abort', onAbort);
  await killing;
  logs.flush();
  status.end();
  const wallMs = Math.round(performance.now() - started);

  const cgUsage = cg.usage();
  const exit = status.status.exitCode !== undefined
    ? decodeExit(status.status.exitCode)
    : { exitCode: ended.exitCode ?? -1, signal: ended.signal ?? '' };
  const usage = { ...emptyUsage(), wallMs, cpuMs: Math.round(cgUsage.cpuMs), peakMemoryBytes: cgUsage.peakMemoryBytes, exitCode: exit.exitCode, signal: exit.signal, outputBytes: stdout.total };

  if (reason) return result(reason, usage, reason, KILL_MESSAGES[reason](task));
  if (cgUsage.oomKills > 0) return result('OUT_OF_MEMORY', usage, 'OUT_OF_MEMORY', `memory limit of ${limits.memoryBytes} bytes exceeded`);
  if (exit.signal === 'SIGXCPU' || (exit.signal === 'SIGKILL' && cgUsage.cpuMs >= limits.cpuMillis)) {
    return result('CPU_LIMIT', usage, 'CPU_LIMIT', KILL_MESSAGES.CPU_LIMIT(task));
  }
  if (status.status.childPid === undefined || (ended.exitCode === JOIN_FAILED_EXIT && status.status.exitCode === undefined)) {
    const why = stderrTail.join('\n') || `sandbox exited with ${ended.exitCode ?? ended.signal}`;
    return result('FAILED', usage, 'SANDBOX_ERROR', `the sandbox did not start: ${why}`);
  }
  const parsed = parseAgentOutput(stdout.toString(), { exitCode: exit.exitCode, signal: exit.signal || undefined });
  return { ...parsed, usage };
}

/**
 * Kills the whole sandbox. The namespace's pid 1 gets the SIGKILL: the kernel then kills everything in the
 * namespace and bwrap, still alive, reaps it and exits (killing bwrap too would orphan pid 1 to the host's slow
 * init). pid 1 is killed only while it is listed in our cgroup, so the pid cannot have been reused by anyone
 * outside the sandbox. Before pid 1 exists (bwrap still setting up), everything in the cgroup is killed with
 * the cgroup frozen, so nothing can fork or reap while we pick targets.
 */
async function killSandbox(cg: TaskCgroup, status: StatusReader, killOuter: () => void): Promise<void> {
  const pid1 = status.status.childPid;
  if (pid1 !== undefined && cg.pids().includes(pid1)) {
    killPids([pid1]);
    return;
  }
  const frozen = await cg.freeze();
  const pids = cg.pids();
  if (pids.length) killPids(pids);
  else killOuter(); // not yet in the cgroup (or already gone: then this is a no-op)
  if (frozen) cg.thaw();
}
