// Runs one task in one fresh native sandbox: one from the agent's pool when it fits the task's limits, else one started now.
import { emptyUsage, type ExecutionResult } from '../../contract/outcome.js';
import type { TaskCgroup } from '../../sandbox/native/task-cgroup.js';
import { withTraceEnv, type ExecutionTask } from '../../contract/agent.js';
import type { NativeAgentSpec } from './agent-spec.js';
import type { ExecutionHooks } from '../runtime.js';
import { sandboxLimits, type SandboxHost } from './sandbox-host.js';
import { SandboxProcess } from './sandbox-process.js';

function failed(code: 'CANCELLED' | 'SANDBOX_ERROR', message: string): ExecutionResult {
  return { status: code === 'CANCELLED' ? 'CANCELLED' : 'FAILED', usage: emptyUsage(), metrics: {}, error: { code, message } };
}

/**
 * Starts a sandbox for `agent` with these limits, on a uid and cgroup of its own. `waitForUid` false: undefined
 * when no uid is free right now (a pool filling must never hold up tasks). `networked`: spawned for egress (inet
 * sockets, the proxy's env and its socket in the sandbox's netns).
 */
export async function startSandbox(host: SandboxHost, agent: NativeAgentSpec, task: Pick<ExecutionTask, 'limits'>, signal?: AbortSignal, waitForUid = true, networked = false): Promise<SandboxProcess | undefined> {
  let uid: number | undefined;
  if (waitForUid) {
    if (host.uids.available === 0) host.reclaimIdle(); // a pooled sandbox idles on a uid a task is waiting for
    uid = await host.uids.acquire(signal);
  } else {
    uid = host.uids.tryAcquire();
    if (uid === undefined) return undefined;
  }
  const limits = sandboxLimits(host, task.limits);
  let cg: TaskCgroup;
  try {
    cg = host.tree.takeTask(limits.cgroup);
  } catch (e) {
    host.uids.release(uid);
    throw new Error(`cannot create the task cgroup: ${(e as Error).message}`);
  }
  try {
    return new SandboxProcess(host, agent, uid, cg, limits.rlimits, networked);
  } catch (e) {
    host.retire(cg, uid);
    throw e;
  }
}

/** Runs the task; `pooled` is a ready sandbox of the agent whose limits match the task's. */
export async function executeSandboxed(host: SandboxHost, agent: NativeAgentSpec, task: ExecutionTask, signal: AbortSignal, hooks: ExecutionHooks = {}, pooled?: SandboxProcess): Promise<ExecutionResult> {
  // The deadline counts from here: sandbox set-up is part of the task's time, so a loaded host cannot stretch it.
  const deadline = performance.now() + task.limits.timeoutMs;
  if (pooled) return pooled.run(task, signal, hooks, deadline);
  if (signal.aborted) return failed('CANCELLED', 'cancelled before start');
  let sandbox: SandboxProcess;
  try {
    sandbox = (await startSandbox(host, withTraceEnv(agent, task), task, signal, true, !!hooks.egress))!;
  } catch (e) {
    if (signal.aborted) return failed('CANCELLED', 'cancelled while waiting for a sandbox uid');
    return failed('SANDBOX_ERROR', (e as Error).message);
  }
  return sandbox.run(task, signal, hooks, deadline, sandbox.spawnedAt);
}
