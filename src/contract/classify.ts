// One classifier for every backend: what was observed about an ending becomes one ExecutionResult, by one order.
import type { Limits } from './limits.js';
import type { ErrorCode, ExecutionResult, TerminalStatus, Usage } from './outcome.js';
import { parseAgentOutput, type ParsedOutput } from './agent-output.js';

/** Why we ended a sandbox ourselves; the first reason recorded wins. EGRESS_*: an egress budget was crossed. */
export type KillReason = 'TIMEOUT' | 'CPU_LIMIT' | 'OUTPUT_LIMIT' | 'EGRESS_BYTES' | 'EGRESS_CONNECTIONS' | 'CANCELLED';

/** The status (and error code) a kill of ours reports. */
const KILL_STATUS = {
  TIMEOUT: 'TIMEOUT', CPU_LIMIT: 'CPU_LIMIT', OUTPUT_LIMIT: 'OUTPUT_LIMIT',
  EGRESS_BYTES: 'NETWORK_LIMIT', EGRESS_CONNECTIONS: 'NETWORK_LIMIT', CANCELLED: 'CANCELLED',
} as const satisfies Record<KillReason, TerminalStatus>;

/** Everything a backend may have observed about how one execution ended. Unset = not observed. */
export interface Observation {
  /** We ended it ourselves, for this (first) reason. */
  killedFor?: KillReason;
  /** The sandbox never started; the agent did not run. */
  sandboxError?: string;
  /** The kernel (memory cgroup) recorded an OOM kill in the task's sandbox. */
  oomKilled?: boolean;
  /** An allocation was refused at the memory limit (wasm memory.grow / table.grow past the cap). */
  memoryRefused?: boolean;
  /** The fuel budget was spent (wasm). */
  fuelExhausted?: boolean;
  /** The CPU budget was measured as spent (cgroup, rusage or thread clock) when the agent died. */
  cpuSpent?: boolean;
  /** How the agent's process ended when it ended (process backends). */
  exit?: { exitCode: number; signal: string };
  /** The agent's stdout (process backends, WASI commands), parsed here. */
  stdout?: string;
  /** An answer already parsed elsewhere (the wasm seed ABI). */
  answer?: ParsedOutput;
  /** The agent broke in-process (wasm trap, ABI violation): code and message. */
  fault?: { code: ErrorCode; message: string };
}

const MAX_MESSAGE = 4096;

export function killMessage(reason: KillReason, limits: Limits): string {
  switch (reason) {
    case 'TIMEOUT': return `timed out after ${limits.timeoutMs} ms`;
    case 'CPU_LIMIT': return `CPU time limit of ${limits.cpuMillis} ms exceeded`;
    case 'OUTPUT_LIMIT': return `output exceeded ${limits.outputBytes} bytes`;
    case 'EGRESS_BYTES': return `egress_bytes budget of ${limits.egressBytes} bytes exceeded`;
    case 'EGRESS_CONNECTIONS': return `egress_connections budget of ${limits.egressConnections} connections exceeded`;
    case 'CANCELLED': return 'cancelled';
  }
}

function ended(status: TerminalStatus, code: ErrorCode, message: string, usage: Usage): ExecutionResult {
  return { status, error: { code, message: message.slice(0, MAX_MESSAGE) }, usage, metrics: {} };
}

function limitHit(status: Exclude<TerminalStatus, 'COMPLETED' | 'FAILED'>, message: string, usage: Usage): ExecutionResult {
  return ended(status, status, message, usage);
}

/**
 * The one priority order (first match wins), the same on every backend:
 *  1. CANCELLED: the caller's request stands over whatever the agent did after it.
 *  2. SANDBOX_ERROR: the agent never ran, so nothing it did can be reported.
 *  3. OUT_OF_MEMORY by an OOM kill: the kernel's record is the root cause; a timeout, CPU overrun, crash or even an
 *     answer printed after a child was OOM-killed are its consequences.
 *  4. Our own kill for TIMEOUT, CPU_LIMIT, OUTPUT_LIMIT or an egress budget (NETWORK_LIMIT) — except that a refused allocation that preceded a
 *     TIMEOUT or CPU_LIMIT (a guest spinning on a failed grow burns time and CPU alike) is reported as
 *     OUT_OF_MEMORY, as the OOM kill of a process backend would be.
 *  5. OUT_OF_FUEL (after a refused allocation: OUT_OF_MEMORY).
 *  6. CPU_LIMIT when the agent died of SIGXCPU/SIGKILL *and* its CPU budget was measured spent (an agent cannot
 *     forge it with exit(152)).
 *  7. The agent's own ending: a fault or signal is CRASHED (after a refused allocation: OUT_OF_MEMORY), otherwise
 *     its answer (COMPLETED, or FAILED AGENT_ERROR / BAD_OUTPUT). A completed answer stands even after a refused
 *     allocation: the agent handled it.
 */
export function classify(obs: Observation, usage: Usage, limits: Limits): ExecutionResult {
  const oomMessage = (then?: string) => `memory limit of ${limits.memoryBytes} bytes ${obs.oomKilled ? 'exceeded (OOM-killed)' : 'reached'}${then ? ` (then ${then})` : ''}`;
  if (obs.killedFor === 'CANCELLED') return limitHit('CANCELLED', killMessage('CANCELLED', limits), usage);
  if (obs.sandboxError !== undefined) return ended('FAILED', 'SANDBOX_ERROR', `the sandbox did not start: ${obs.sandboxError}`, usage);
  if (obs.oomKilled) return limitHit('OUT_OF_MEMORY', oomMessage(), usage);
  if (obs.killedFor) {
    if ((obs.killedFor === 'TIMEOUT' || obs.killedFor === 'CPU_LIMIT') && obs.memoryRefused) {
      return limitHit('OUT_OF_MEMORY', oomMessage(killMessage(obs.killedFor, limits)), usage);
    }
    return limitHit(KILL_STATUS[obs.killedFor], killMessage(obs.killedFor, limits), usage);
  }
  if (obs.fuelExhausted) {
    const message = `fuel budget of ${limits.fuel} exhausted`;
    return obs.memoryRefused ? limitHit('OUT_OF_MEMORY', oomMessage(message), usage) : limitHit('OUT_OF_FUEL', message, usage);
  }
  const signal = obs.exit?.signal ?? '';
  if ((signal === 'SIGXCPU' || signal === 'SIGKILL') && obs.cpuSpent) return limitHit('CPU_LIMIT', killMessage('CPU_LIMIT', limits), usage);
  const fault = obs.fault ?? (signal ? { code: 'CRASHED' as const, message: `agent killed by signal ${signal}` } : undefined);
  if (fault) return obs.memoryRefused ? limitHit('OUT_OF_MEMORY', oomMessage(fault.message), usage) : ended('FAILED', fault.code, fault.message, usage);
  const parsed = obs.answer ?? parseAgentOutput(obs.stdout ?? '', { exitCode: obs.exit?.exitCode ?? 0 });
  if (parsed.status !== 'COMPLETED' && obs.memoryRefused) return limitHit('OUT_OF_MEMORY', oomMessage(parsed.error?.message), usage);
  return { ...parsed, usage };
}
