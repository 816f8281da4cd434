// Drives one task through a started container: send the task, cap output, enforce time/CPU/cancel, classify.
// A kill removes the container before answering; otherwise removal is the caller's (session.dispose()).
import { constants } from 'node:os';
import { taskDocument, type ExecutionTask } from '../../contract/agent.js';
import type { ExecutionHooks } from '../runtime.js';
import { parseAgentOutput } from '../../contract/agent-output.js';
import { emptyUsage, type ExecutionResult, type TerminalStatus } from '../../contract/outcome.js';
import { killMessage, type KillReason } from '../../contract/classify.js';
import { watchCpu } from '../../sandbox/kill-escalation.js';
import { CappedBuffer, LineSplitter } from '../../sandbox/output-cap.js';
import type { ContainerClient } from './container-client.js';
import type { ContainerSession } from './container-session.js';

/** Peak usage at or above this fraction of the memory limit, with a SIGKILL, means the OOM killer struck. */
const OOM_CEILING_FRACTION = 0.9;
/** After the exit, how long the last output may take to arrive before we stop waiting for it. */
const DRAIN_GRACE_MS = 1000;

/** Docker reports a signal death of the container's pid 1 as exit code 128 + signal number. */
function signalOf(exitCode: number): string {
  if (exitCode <= 128 || exitCode > 128 + 64) return '';
  const n = exitCode - 128;
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `SIG${n}`;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export async function runTask(
  client: ContainerClient,
  session: ContainerSession,
  task: ExecutionTask,
  signal: AbortSignal,
  hooks: ExecutionHooks = {},
): Promise<ExecutionResult> {
  const { limits } = task;
  const started = performance.now();
  let killReason: KillReason | undefined;
  let onKill!: () => void;
  const killed = new Promise<void>((r) => { onKill = r; });
  const kill = (reason: KillReason) => {
    if (killReason) return;
    killReason = reason;
    onKill();
  };

  const stdout = new CappedBuffer(limits.outputBytes);
  let stderrBytes = 0;
  const logs = new LineSplitter((line) => hooks.onLog?.(line));
  session.bind(
    (b) => { if (!stdout.push(b)) kill('OUTPUT_LIMIT'); },
    (b) => {
      stderrBytes += b.length;
      if (stderrBytes > limits.outputBytes) kill('OUTPUT_LIMIT');
      else logs.push(b);
    },
  );

  const timer = setTimeout(() => kill('TIMEOUT'), Math.max(0, limits.timeoutMs));
  const cpuWatch = session.cgroup
    ? watchCpu(() => session.cgroup!.cpuMs(), limits.cpuMillis, () => kill('CPU_LIMIT'))
    : undefined;
  const onAbort = () => kill('CANCELLED');
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  try {
    if (!killReason) session.sendTask(taskDocument(task));
    const exitCode = await Promise.race([session.exited, killed.then(() => -1)]);
    // The exit status arrives ~40 ms before the attach stream closes; once stdout already holds one complete
    // document nothing more can belong to it, so only wait for the stream when it does not.
    if (!killReason && !isCompleteDocument(stdout)) await Promise.race([session.drained, killed, delay(DRAIN_GRACE_MS)]);

    const usage = emptyUsage();
    usage.exitCode = killReason ? 137 : exitCode;
    if (killReason) await session.kill(); // force-remove: SIGKILL and gone before we answer
    usage.signal = signalOf(usage.exitCode);
    // The cgroup parent outlives the container, so these are read after the exit (or the kill).
    usage.wallMs = Math.round(performance.now() - started);
    usage.cpuMs = session.cgroup?.cpuMs() ?? 0;
    usage.peakMemoryBytes = session.cgroup?.peakMemoryBytes() ?? 0;
    usage.outputBytes = stdout.total;
    logs.flush();
    // Only a failed agent can have been OOM-killed in a way that matters; a clean answer stands. The engine
    // records OOMKilled from a separate event that can trail the exit, so a SIGKILL at the memory ceiling
    // (nobody else kills the agent: our own kills set killReason) counts as OOM too.
    const oomKilled = !killReason && exitCode !== 0 && (
      (await client.inspect(session.id).catch(() => undefined))?.oomKilled === true ||
      (usage.signal === 'SIGKILL' && usage.peakMemoryBytes >= limits.memoryBytes * OOM_CEILING_FRACTION));

    if (killReason) return terminal(killReason, killMessage(killReason, limits), usage);
    if (oomKilled) return terminal('OUT_OF_MEMORY', `memory limit of ${limits.memoryBytes} bytes exceeded (OOM-killed)`, usage);
    const parsed = parseAgentOutput(stdout.toString(), { exitCode: usage.exitCode, signal: usage.signal || undefined });
    return { ...parsed, usage };
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

function terminal(status: Exclude<TerminalStatus, 'COMPLETED' | 'FAILED'>, message: string, usage: ExecutionResult['usage']): ExecutionResult {
  return { status, error: { code: status, message }, usage, metrics: {} };
}
