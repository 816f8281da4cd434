// Drives one task through a started container: send the task, cap output, enforce time/CPU/cancel, classify.
// A kill stops the container before answering; removing it is the caller's, off the answer's path (dispose()).
import { taskDocument, type ExecutionTask } from '../../contract/agent.js';
import type { ExecutionHooks } from '../runtime.js';
import { emptyUsage, type ExecutionResult } from '../../contract/outcome.js';
import { classify, type KillReason } from '../../contract/classify.js';
import { killReasonOf } from '../../contract/abort-reason.js';
import { decodeExitStatus } from '../../contract/exit-status.js';
import { watchCpu } from '../../sandbox/kill-escalation.js';
import { CappedBuffer, LineSplitter } from '../../sandbox/output-cap.js';
import type { ContainerSession } from './container-session.js';

/** After the exit, how long the last output may take to arrive before we stop waiting for it. */
const DRAIN_GRACE_MS = 1000;
/** The status of a container whose exit we did not see after our SIGKILL. */
const SIGKILLED = 128 + 9;

export interface RunOptions {
  /** performance.now() when the task was handed to the backend: time spent starting a cold container counts. */
  startedAt: number;
  hooks?: ExecutionHooks;
}

export async function runTask(session: ContainerSession, task: ExecutionTask, signal: AbortSignal, o: RunOptions): Promise<ExecutionResult> {
  const { limits } = task;
  let killReason: KillReason | undefined;
  let onKill!: () => void;
  const killed = new Promise<undefined>((r) => { onKill = () => r(undefined); });
  const kill = (reason: KillReason) => {
    if (killReason) return;
    killReason = reason;
    onKill();
  };

  const stdout = new CappedBuffer(limits.outputBytes);
  let stderrBytes = 0;
  const logs = new LineSplitter((line) => o.hooks?.onLog?.(line));
  session.bind(
    (b) => { if (!stdout.push(b)) kill('OUTPUT_LIMIT'); },
    (b) => {
      stderrBytes += b.length;
      if (stderrBytes > limits.outputBytes) kill('OUTPUT_LIMIT');
      else logs.push(b);
    },
  );

  const timer = setTimeout(() => kill('TIMEOUT'), Math.max(0, o.startedAt + limits.timeoutMs - performance.now()));
  const cpuWatch = session.cgroup ? watchCpu(() => session.cpuMs(), limits.cpuMillis, () => kill('CPU_LIMIT')) : undefined;
  // A LimitAbort (an egress budget crossed in the proxy) is recorded as its limit, a caller's cancel as CANCELLED.
  const onAbort = () => kill(killReasonOf(signal));
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  try {
    if (!killReason) session.sendTask(taskDocument(task));
    let code = await Promise.race([session.exited, killed]);
    // The exit status (containerd's exit event) arrives 20–250 ms before the attach stream closes, sometimes just
    // before the last output; once stdout holds one complete document nothing more can belong to it, so the
    // stream's end is waited for only until it does.
    if (!killReason) await Promise.race([session.outputSettled(() => isCompleteDocument(stdout), DRAIN_GRACE_MS), killed]);
    if (killReason) {
      await session.kill(); // stopped, not removed: the answer does not wait for the removal
      // The engine's kill answers once the container stopped; its exit status (our SIGKILL, or an exit just
      // before it) is taken only if already here: waiting for the wait stream would only delay the answer.
      code = await Promise.race([session.exited, Promise.resolve(SIGKILLED)]);
    }
    const exit = decodeExitStatus(code ?? SIGKILLED);
    // The cgroup parent outlives the container, so these are read after the exit (or the kill).
    const usage = {
      ...emptyUsage(),
      wallMs: Math.round(performance.now() - o.startedAt),
      cpuMs: session.cpuMs(),
      peakMemoryBytes: session.cgroup?.peakMemoryBytes() ?? 0,
      outputBytes: stdout.total,
      exitCode: exit.exitCode,
      signal: exit.signal,
    };
    logs.flush();
    return classify({
      killedFor: killReason,
      oomKilled: await session.oomKilled(limits.memoryBytes, exit.signal === 'SIGKILL' && !killReason),
      cpuSpent: usage.cpuMs >= limits.cpuMillis,
      exit,
      stdout: killReason ? undefined : stdout.toString(),
    }, usage, limits);
  } finally {
    clearTimeout(timer);
    if (cpuWatch) clearInterval(cpuWatch);
    signal.removeEventListener('abort', onAbort);
  }
}

function isCompleteDocument(buf: CappedBuffer): boolean {
  if (buf.length === 0 || buf.overflowed) return false;
  try {
    const doc: unknown = JSON.parse(buf.toString());
    return typeof doc === 'object' && doc !== null;
  } catch {
    return false;
  }
}
