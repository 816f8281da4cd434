// Containment cases (issue 15): inherited descriptors, socket families, idle-pool CPU (its docker column from cases-docker.ts); registered in cases.ts.
import { readFileSync } from 'node:fs';
import type { CaseSpec, NotApplicable, Observation, Verdict } from './case-types.js';
import { fail, missing, outcome } from './expect.js';
import type { HostProbe } from './host-probe.js';
import { sandboxProcesses, type HostScope } from './host-scan.js';
import { DOCKER_IDLE_CALL, dockerIdleCpuMs } from './cases-docker.js';

const na = (why: string): NotApplicable => ({ na: why });
const withOutcome = (judge: (o: Observation, p: HostProbe) => Verdict | Promise<Verdict>) =>
  (o: Observation, p: HostProbe) => missing(o) ?? judge(o, p);
const out = (o: Observation): Record<string, unknown> => (o.output && typeof o.output === 'object' ? o.output as Record<string, unknown> : {});

/** The containment probe (fixtures/agents/native/contain) on both Linux backends. */
const probeAgent = (mode: string, extra: Record<string, unknown> = {}) => ({
  native: { agent: 'c-native-contain', input: () => ({ mode, ...extra }) },
  docker: { agent: 'c-docker-contain', input: () => ({ mode, ...extra }) },
});

const REFUSED_FAMILIES = ['vsock', 'netlink_route', 'packet', 'inet', 'inet6', 'pair_tipc'] as const;
const IDLE_WINDOW_MS = 3000;
const IDLE_SHARE_BOUND = 0.05;
const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of one process, in ms, or undefined once it is gone. */
function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * CLOCK_TICK_MS;
  } catch {
    return undefined;
  }
}

const isIdleSpinner = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('spin-idle');
  } catch {
    return false;
  }
};

/**
 * CPU the daemon's idle spinning sandboxes use over a window, from /proc of the sandbox uids: a process seen at
 * the start counts from there, one that appears later counts whole. (A process killed between two samples loses
 * at most one sample interval: an underestimate of ~100 ms per kill.)
 */
async function idleSpinnerCpuMs(scope: HostScope, windowMs: number): Promise<number> {
  const base = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = (first: boolean) => {
    for (const p of sandboxProcesses(scope)) {
      if (!isIdleSpinner(p.pid)) continue;
      const ms = cpuMsOf(p.pid);
      if (ms === undefined) continue;
      if (!base.has(p.pid)) base.set(p.pid, first ? ms : 0);
      last.set(p.pid, ms);
    }
  };
  sample(true);
  for (let t = 0; t < windowMs; t += 100) {
    await new Promise((r) => setTimeout(r, 100));
    sample(false);
  }
  let total = 0;
  for (const [pid, ms] of last) total += ms - (base.get(pid) ?? 0);
  return total;
}

export const CONTAINMENT_CASES: readonly CaseSpec[] = [
  {
    id: 'inherited-fds', title: 'descriptors the daemon inherited',
    calls: { wasm: na('wasm guests hold no host descriptors: only the preopens the host grants (none)'), ...probeAgent('fds', { probe: 3 }) },
    expect: withOutcome((o) => {
      const fds = out(o).fds;
      const errno = out(o).write_errno;
      const observed = Array.isArray(fds) ? `fds ${fds.join(',')}` : outcome(o);
      const values = { fd_count: Array.isArray(fds) ? fds.length : -1, write_errno: typeof errno === 'number' ? errno : -1 };
      if (o.response!.status !== 'COMPLETED' || !Array.isArray(fds)) return fail(observed, `expected COMPLETED with the probe's descriptor list, got ${outcome(o)}`, values);
      if (fds.join(',') !== '0,1,2') return fail(observed, `the agent holds descriptors beyond stdio: ${fds.join(', ')}`, values);
      if (errno !== 9) return fail(observed, `write(3) gave errno ${String(errno)}, expected EBADF`, values);
      return { pass: true, observed, values };
    }),
  },
  {
    id: 'socket-families', title: 'vsock, netlink, packet, inet, TIPC sockets',
    calls: { wasm: na('wasm guests have no syscalls, only the imports the host grants'), ...probeAgent('sockets') },
    expect: withOutcome((o) => {
      const got = out(o);
      const values = Object.fromEntries(['unix', 'pair_unix', ...REFUSED_FAMILIES].map((k) => [`${k}_errno`, typeof got[k] === 'number' ? got[k] as number : -1]));
      if (o.response!.status !== 'COMPLETED') return fail(outcome(o), `expected COMPLETED with the probe's errnos, got ${outcome(o)}`, values);
      const opened = REFUSED_FAMILIES.filter((k) => got[k] === 0);
      if (opened.length) return fail(`opened ${opened.join(',')}`, `the sandbox let the agent open ${opened.join(', ')} sockets`, values);
      if (got.unix !== 0 || got.pair_unix !== 0) return fail(`unix errno ${String(got.unix)}/${String(got.pair_unix)}`, 'AF_UNIX sockets and socket pairs must stay available to agents', values);
      return { pass: true, observed: `unix ok, ${REFUSED_FAMILIES.length} families refused`, values };
    }),
  },
  {
    id: 'idle-pool-cpu', title: 'pooled agent spinning before its task', concurrentGood: false,
    calls: {
      wasm: na('wasm keeps no guest running between tasks: a spare instance executes nothing'),
      native: { agent: 'c-native-idlespin', input: () => ({}) },
      docker: DOCKER_IDLE_CALL,
    },
    expect: async (o, p) => {
      if (!p.hostChecks) return { pass: true, observed: `${outcome(o)} (not measured)`, detail: 'daemon on another host: cannot read its sandboxes\' CPU' };
      const ms = await (o.backend === 'docker' ? dockerIdleCpuMs : idleSpinnerCpuMs)(p.options.scope, IDLE_WINDOW_MS);
      const share = ms / IDLE_WINDOW_MS;
      const observed = `${(share * 100).toFixed(1)}% of a core idle`;
      const values = { idle_cpu_ms: ms, window_ms: IDLE_WINDOW_MS };
      if (share >= IDLE_SHARE_BOUND) return fail(observed, `idle spinning sandboxes used ${ms} ms of CPU in ${IDLE_WINDOW_MS} ms (bound ${IDLE_SHARE_BOUND * 100}%)`, values);
      return { pass: true, observed, values };
    },
  },
];
