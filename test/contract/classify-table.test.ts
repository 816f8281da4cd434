// One kind of death → one status on every backend: classify() fed each backend's own observation shapes.
import { describe, expect, it } from 'vitest';
import { classify, type Observation } from '../../src/contract/classify.js';
import { decodeExitStatus } from '../../src/contract/exit-status.js';
import { DEFAULT_LIMITS } from '../../src/contract/limits.js';
import { emptyUsage, type ErrorCode, type TerminalStatus } from '../../src/contract/outcome.js';

type Backend = 'wasm' | 'native' | 'docker';
interface Death {
  death: string;
  status: TerminalStatus;
  code: ErrorCode;
  /** What each backend observes for it (several shapes when a backend can notice it in several ways). */
  shapes: Partial<Record<Backend, Observation[]>>;
}

const ANSWER = '{"output":{"result":42}}';
/** How process backends see a process we SIGKILLed: bwrap reports 128+9 (native), Docker 137. */
const killed = decodeExitStatus(137);
const segv = decodeExitStatus(139);
const trap = { code: 'CRASHED' as const, message: 'trap: unreachable' };

/** The six kinds of death every backend must agree on, each on all three backends. */
const DEATHS: Death[] = [
  { death: 'timeout', status: 'TIMEOUT', code: 'TIMEOUT', shapes: {
    wasm: [{ killedFor: 'TIMEOUT' }],
    native: [{ killedFor: 'TIMEOUT', exit: killed }],
    docker: [{ killedFor: 'TIMEOUT', exit: killed }],
  } },
  { death: 'memory', status: 'OUT_OF_MEMORY', code: 'OUT_OF_MEMORY', shapes: {
    wasm: [{ memoryRefused: true, fault: trap }, { memoryRefused: true, fault: { code: 'CRASHED', message: 'RangeError: out of memory' } }],
    native: [{ oomKilled: true, exit: killed }],
    docker: [{ oomKilled: true, exit: killed }],
  } },
  { death: 'CPU', status: 'CPU_LIMIT', code: 'CPU_LIMIT', shapes: {
    wasm: [{ killedFor: 'CPU_LIMIT' }],
    native: [{ killedFor: 'CPU_LIMIT', exit: killed, cpuSpent: true }, { exit: decodeExitStatus(128 + 24), cpuSpent: true }, { exit: killed, cpuSpent: true }],
    docker: [{ killedFor: 'CPU_LIMIT', exit: killed, cpuSpent: true }],
  } },
  { death: 'output', status: 'OUTPUT_LIMIT', code: 'OUTPUT_LIMIT', shapes: {
    wasm: [{ killedFor: 'OUTPUT_LIMIT' }],
    native: [{ killedFor: 'OUTPUT_LIMIT', exit: killed }],
    docker: [{ killedFor: 'OUTPUT_LIMIT', exit: killed }],
  } },
  { death: 'crash', status: 'FAILED', code: 'CRASHED', shapes: {
    wasm: [{ fault: trap }],
    native: [{ exit: segv, stdout: '' }],
    docker: [{ exit: segv, stdout: '' }],
  } },
  { death: 'cancel', status: 'CANCELLED', code: 'CANCELLED', shapes: {
    wasm: [{ killedFor: 'CANCELLED' }],
    native: [{ killedFor: 'CANCELLED', exit: killed }],
    docker: [{ killedFor: 'CANCELLED', exit: killed }],
  } },
];

/** Two causes at once: the one documented winner, the same everywhere the tie can happen. */
const TIES: Death[] = [
  { death: 'timeout while over memory', status: 'OUT_OF_MEMORY', code: 'OUT_OF_MEMORY', shapes: {
    wasm: [{ killedFor: 'TIMEOUT', memoryRefused: true }],
    native: [{ killedFor: 'TIMEOUT', oomKilled: true, exit: killed }],
    docker: [{ killedFor: 'TIMEOUT', oomKilled: true, exit: killed }],
  } },
  { death: 'CPU spent while over memory', status: 'OUT_OF_MEMORY', code: 'OUT_OF_MEMORY', shapes: {
    wasm: [{ killedFor: 'CPU_LIMIT', memoryRefused: true }],
    native: [{ killedFor: 'CPU_LIMIT', oomKilled: true, cpuSpent: true, exit: killed }, { oomKilled: true, cpuSpent: true, exit: killed }],
    docker: [{ killedFor: 'CPU_LIMIT', oomKilled: true, cpuSpent: true, exit: killed }],
  } },
  { death: 'crash after running out of memory', status: 'OUT_OF_MEMORY', code: 'OUT_OF_MEMORY', shapes: {
    wasm: [{ memoryRefused: true, fault: trap }],
    native: [{ oomKilled: true, exit: segv }],
    docker: [{ oomKilled: true, exit: segv }],
  } },
  { death: 'cancel while timing out, over memory, over output or crashing', status: 'CANCELLED', code: 'CANCELLED', shapes: {
    wasm: [{ killedFor: 'CANCELLED', memoryRefused: true }, { killedFor: 'CANCELLED', fuelExhausted: true }, { killedFor: 'CANCELLED', fault: trap }],
    native: [{ killedFor: 'CANCELLED', oomKilled: true, exit: killed }, { killedFor: 'CANCELLED', cpuSpent: true, exit: decodeExitStatus(128 + 24) }, { killedFor: 'CANCELLED', sandboxError: 'bwrap failed' }],
    docker: [{ killedFor: 'CANCELLED', oomKilled: true, exit: killed }, { killedFor: 'CANCELLED', exit: segv, stdout: ANSWER }],
  } },
  { death: 'timeout first, CPU spent too', status: 'TIMEOUT', code: 'TIMEOUT', shapes: {
    wasm: [{ killedFor: 'TIMEOUT', fuelExhausted: true }],
    native: [{ killedFor: 'TIMEOUT', cpuSpent: true, exit: killed }],
    docker: [{ killedFor: 'TIMEOUT', cpuSpent: true, exit: killed }],
  } },
  { death: 'CPU first, then the deadline passes', status: 'CPU_LIMIT', code: 'CPU_LIMIT', shapes: {
    wasm: [{ killedFor: 'CPU_LIMIT' }],
    native: [{ killedFor: 'CPU_LIMIT', cpuSpent: true, exit: killed }],
    docker: [{ killedFor: 'CPU_LIMIT', cpuSpent: true, exit: killed }],
  } },
  { death: 'output cap hit by an agent that then crashes', status: 'OUTPUT_LIMIT', code: 'OUTPUT_LIMIT', shapes: {
    wasm: [{ killedFor: 'OUTPUT_LIMIT', fault: trap }],
    native: [{ killedFor: 'OUTPUT_LIMIT', exit: segv }],
    docker: [{ killedFor: 'OUTPUT_LIMIT', exit: segv }],
  } },
  // Process backends only: an OOM kill (of a child) stands over what the survivor did after it.
  { death: 'answer or output cap after an OOM kill', status: 'OUT_OF_MEMORY', code: 'OUT_OF_MEMORY', shapes: {
    native: [{ oomKilled: true, exit: { exitCode: 0, signal: '' }, stdout: ANSWER }, { killedFor: 'OUTPUT_LIMIT', oomKilled: true, exit: killed }],
    docker: [{ oomKilled: true, exit: { exitCode: 0, signal: '' }, stdout: ANSWER }, { killedFor: 'OUTPUT_LIMIT', oomKilled: true, exit: killed }],
  } },
  // Not a CPU death: a SIGKILL or SIGXCPU status the agent produced itself, its CPU budget unspent.
  { death: 'a forged CPU signal', status: 'FAILED', code: 'CRASHED', shapes: {
    native: [{ exit: decodeExitStatus(128 + 24), cpuSpent: false, stdout: '' }, { exit: killed, stdout: ANSWER }],
    docker: [{ exit: decodeExitStatus(128 + 24), cpuSpent: false, stdout: '' }],
  } },
  { death: 'fuel spent (wasm only) and fuel after a refused grow', status: 'OUT_OF_FUEL', code: 'OUT_OF_FUEL', shapes: {
    wasm: [{ fuelExhausted: true }, { fuelExhausted: true, fault: trap }],
  } },
];

const run = (obs: Observation) => classify(obs, emptyUsage(), DEFAULT_LIMITS);

describe('classify: the same death, the same status on every backend', () => {
  it('covers the six kinds of death on all three backends', () => {
    for (const d of DEATHS) expect(Object.keys(d.shapes).sort(), d.death).toEqual(['docker', 'native', 'wasm']);
  });

  for (const d of [...DEATHS, ...TIES]) {
    it(`${d.death} → ${d.status}${d.status === 'FAILED' ? ` ${d.code}` : ''}`, () => {
      const got = Object.entries(d.shapes).flatMap(([backend, shapes]) => shapes.map((obs) => {
        const r = run(obs);
        return { backend, obs, status: r.status, code: r.error?.code };
      }));
      const wrong = got.filter((g) => g.status !== d.status || g.code !== d.code);
      expect(wrong, `expected ${d.status}/${d.code} from every shape`).toEqual([]);
    });
  }

  it('names the limit in every limit message, whichever backend observed it', () => {
    expect(run({ killedFor: 'TIMEOUT' }).error?.message).toBe(`timed out after ${DEFAULT_LIMITS.timeoutMs} ms`);
    expect(run({ oomKilled: true, killedFor: 'TIMEOUT' }).error?.message).toBe(`memory limit of ${DEFAULT_LIMITS.memoryBytes} bytes exceeded (OOM-killed)`);
    expect(run({ memoryRefused: true, killedFor: 'CPU_LIMIT' }).error?.message)
      .toBe(`memory limit of ${DEFAULT_LIMITS.memoryBytes} bytes reached (then CPU time limit of ${DEFAULT_LIMITS.cpuMillis} ms exceeded)`);
    expect(run({ killedFor: 'OUTPUT_LIMIT' }).error?.message).toBe(`output exceeded ${DEFAULT_LIMITS.outputBytes} bytes`);
  });

  it('an answer stands when nothing went wrong, and after a refused allocation the agent handled (wasm)', () => {
    expect(run({ exit: { exitCode: 0, signal: '' }, stdout: ANSWER })).toMatchObject({ status: 'COMPLETED', output: { result: 42 } });
    expect(run({ memoryRefused: true, answer: { status: 'COMPLETED', output: 1, metrics: {} } })).toMatchObject({ status: 'COMPLETED', output: 1 });
  });
});
