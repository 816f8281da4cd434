// The conformance matrix as data: one entry per case, the conformance agent per backend, and what must hold.
// Adding a case = a fixture (fixtures/conformance or the backends' hostile agents), an agent in
// fixtures/conformance/ari.toml per backend, and one entry here.
import type { CaseCall, CaseSpec, NotApplicable, Observation, Verdict } from './case-types.js';
import type { HostProbe } from './host-probe.js';
import { CONTAINMENT_CASES } from './cases-containment.js';
import { DOCKER_CASES } from './cases-docker.js';
import { EGRESS_CASES } from './cases-egress.js';
import { OUTPUT_CASES } from './cases-output.js';
import { WASM_BULK_CASES } from './cases-wasm-bulk.js';
import { cancelledWithinBound, fail, fmtBytes, fmtCount, leaksSecret, missing, outcome, outputField, timedOutWithinBound } from './expect.js';

type Input = (p: HostProbe) => unknown;

/** The same hostile program on native and docker (both run Linux binaries): agents c-native-<name>, c-docker-<name>. */
function linux(name: string, input: Input): { native: CaseCall; docker: CaseCall } {
  return { native: { agent: `c-native-${name}`, input }, docker: { agent: `c-docker-${name}`, input } };
}
const wasm = (name: string): { wasm: CaseCall } => ({ wasm: { agent: `c-wasm-${name}` } });
const na = (why: string): NotApplicable => ({ na: why });
const NO_FS = 'wasm has no filesystem: no preopened directories (host-file-read proves it)';
const NO_SYSCALLS = 'wasm guests have no syscalls, only the imports the host grants';
const NO_PROCS = 'wasm guests cannot create processes (worker threads are a leak row)';

/** The status set a runaway CPU task may end with; TIMEOUT must also respect the kill bound. */
function stoppedRunaway(o: Observation): Verdict {
  const r = o.response!;
  if (r.status === 'TIMEOUT') return timedOutWithinBound(o, o.backend);
  if (r.status === 'OUT_OF_FUEL') return { pass: true, observed: `OUT_OF_FUEL ${fmtCount(r.usage?.fuel_consumed ?? 0)} fuel`, values: { fuel_consumed: r.usage?.fuel_consumed ?? 0 } };
  if (r.status === 'CPU_LIMIT') return { pass: true, observed: `CPU_LIMIT cpu ${r.usage?.cpu_ms ?? 0}ms`, values: { cpu_ms: r.usage?.cpu_ms ?? 0 } };
  return fail(outcome(o), `expected TIMEOUT, CPU_LIMIT or OUT_OF_FUEL, got ${outcome(o)}`);
}

function failedWith(code: string) {
  return (o: Observation): Verdict => {
    const r = o.response!;
    const sig = r.usage?.signal ? ` ${r.usage.signal}` : '';
    if (r.status === 'FAILED' && r.error?.code === code) return { pass: true, observed: `FAILED/${code}${sig}` };
    return fail(outcome(o), `expected FAILED with ${code}, got ${outcome(o)}: ${r.error?.message ?? ''}`);
  };
}

/** Runs `judge` only when there is an outcome. */
const withOutcome = (judge: (o: Observation, p: HostProbe) => Verdict | Promise<Verdict>) =>
  (o: Observation, p: HostProbe) => missing(o) ?? judge(o, p);

const errnoOf = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

export const GOOD_AGENT = (backend: string) => `c-${backend}-math`;

export const CASES: readonly CaseSpec[] = [
  {
    id: 'good-task', title: 'good math task alone', concurrentGood: false,
    calls: {
      wasm: { agent: 'c-wasm-math', capability: 'arithmetic', input: () => ({ operation: 'multiply', operands: [7, 6] }) },
      native: { agent: 'c-native-math', capability: 'arithmetic', input: () => ({ operation: 'multiply', operands: [7, 6] }) },
      docker: { agent: 'c-docker-math', capability: 'arithmetic', input: () => ({ operation: 'multiply', operands: [7, 6] }) },
    },
    expect: withOutcome((o) => {
      const got = outputField(o, 'result');
      if (o.response!.status === 'COMPLETED' && got === 42) return { pass: true, observed: `42 in ${o.elapsedMs}ms`, values: { elapsed_ms: o.elapsedMs } };
      return fail(outcome(o), `expected COMPLETED with result 42, got ${outcome(o)} ${JSON.stringify(o.output)}`);
    }),
  },
  {
    id: 'sleep-timeout', title: 'sleep past the timeout',
    calls: { wasm: na('no blocking call is importable into wasm; a guest can only spin (cpu-spin)'), ...linux('sleep', () => ({ mode: 'sleep', seconds: 60 })) },
    expect: withOutcome((o) => timedOutWithinBound(o, o.backend)),
  },
  {
    id: 'cancel-kill', title: 'cancel a running task: how fast it stops',
    calls: {
      wasm: { agent: 'c-wasm-spin', cancelAfterMs: 300 },
      native: { agent: 'c-native-sleep', input: () => ({ mode: 'sleep', seconds: 60 }), cancelAfterMs: 300 },
      docker: { agent: 'c-docker-sleep', input: () => ({ mode: 'sleep', seconds: 60 }), cancelAfterMs: 300 },
    },
    expect: withOutcome(cancelledWithinBound),
  },
  {
    id: 'cpu-spin', title: 'CPU spin (wasm: calling the host)',
    calls: { ...wasm('spin'), ...linux('spin', () => ({ mode: 'spin' })) },
    expect: withOutcome(stoppedRunaway),
  },
  {
    id: 'call-free-loop', title: 'call-free loop',
    calls: { ...wasm('loop'), native: na('native code is stopped by signals, not inserted checks (cpu-spin)'), docker: na('as native (cpu-spin)') },
    expect: withOutcome(stoppedRunaway),
  },
  {
    id: 'memory-bomb', title: 'memory bomb',
    calls: { ...wasm('memory'), ...linux('memory', () => ({ mode: 'memory', mb: 4096 })) },
    expect: withOutcome((o) => {
      const r = o.response!;
      const peak = r.usage?.peak_memory_bytes ?? 0;
      const limit = r.limits?.memory_bytes ?? 0;
      const values = { peak_memory_bytes: peak, memory_limit_bytes: limit };
      const observed = `${r.status === 'OUT_OF_MEMORY' ? 'OOM' : outcome(o)} peak ${fmtBytes(peak)}`;
      if (r.status !== 'OUT_OF_MEMORY') return fail(observed, `expected OUT_OF_MEMORY, got ${outcome(o)}: ${r.error?.message ?? JSON.stringify(o.output)}`, values);
      // Peak figures include the runtime's own overhead, hence the margin; far above the limit means it did not hold.
      if (limit && peak > limit * 1.25 + 16 * 1024 ** 2) return fail(observed, `peak ${fmtBytes(peak)} is far above the ${fmtBytes(limit)} limit`, values);
      return { pass: true, observed, values };
    }),
  },
  {
    id: 'fork-bomb', title: 'fork bomb (contained)',
    calls: { wasm: na(NO_PROCS), ...linux('forkbomb', () => ({ mode: 'forkbomb' })) },
    expect: withOutcome(async (o, p) => {
      const r = o.response!;
      const peak = o.peakSandboxProcs;
      const pids = r.limits?.pids ?? 0;
      const values = { peak_sandbox_processes: peak ?? -1, pids_limit: pids };
      const observed = `${outcome(o)}${peak !== undefined ? `, ${peak} procs` : ''}`;
      if (r.status === 'COMPLETED') return fail(observed, 'a fork bomb must not complete', values);
      // Several sandboxes' processes are counted (the good task too), hence the slack.
      if (peak !== undefined && pids && peak > pids * 2 + 16) return fail(observed, `${peak} sandbox processes at once with pids limit ${pids}`, values);
      const left = p.hostChecks ? await p.leftovers(o.backend, o.taskId) : [];
      if (left.length) return fail(`${observed}, ${left.length} left`, `still alive after the task: ${left.slice(0, 5).join('; ')}`, values);
      return { pass: true, observed, values };
    }),
  },
  {
    id: 'output-flood', title: 'output flood',
    calls: { ...wasm('flood'), ...linux('flood', () => ({ mode: 'flood' })) },
    expect: withOutcome((o) => {
      const r = o.response!;
      const bytes = r.usage?.output_bytes ?? 0;
      const kept = r.output?.length ?? 0;
      const cap = r.limits?.output_bytes ?? 0;
      const values = { output_bytes: bytes, returned_bytes: kept, output_limit_bytes: cap };
      const observed = `${r.status === 'OUTPUT_LIMIT' ? 'OUTPUT_LIMIT' : outcome(o)} ${fmtBytes(bytes)}`;
      if (r.status !== 'OUTPUT_LIMIT') return fail(observed, `expected OUTPUT_LIMIT, got ${outcome(o)}`, values);
      if (cap && kept > cap) return fail(observed, `returned ${kept} output bytes, above the ${cap} byte cap`, values);
      return { pass: true, observed, values };
    }),
  },
  {
    id: 'big-file-write', title: 'big file write (1 GiB to /tmp)',
    calls: { wasm: na(NO_FS), ...linux('write', () => ({ mode: 'write', mb: 1024 })) },
    expect: withOutcome((o) => {
      const r = o.response!;
      if (r.status !== 'COMPLETED') return r.status === 'FAILED' && r.error?.code !== 'CRASHED'
        ? fail(outcome(o), `the write ended the task as ${outcome(o)}: ${r.error?.message ?? ''}`)
        : { pass: true, observed: `${outcome(o)}` };
      const written = Number(outputField(o, 'written') ?? 0);
      const err = errnoOf(outputField(o, 'errno') ?? outputField(o, 'open_errno'));
      const values = { written_bytes: written, errno: err };
      const observed = `errno ${err} after ${fmtBytes(written)}`;
      if (!(err > 0) || written >= 1024 * 1024 ** 2) return fail(observed, `the agent wrote ${fmtBytes(written)} unhindered`, values);
      return { pass: true, observed, values };
    }),
  },
  {
    id: 'network-connect', title: 'connect to a loopback listener',
    calls: { ...wasm('sandbox'), ...linux('connect', (p) => ({ mode: 'connect', port: p.port })) },
    expect: withOutcome((o, p) => {
      const hits = p.listenerHits();
      const err = errnoOf(outputField(o, 'connect_errno') ?? outputField(o, 'socket_errno') ?? outputField(o, 'sock_errno'));
      const values = { listener_connections: hits, errno: err };
      if (hits > 0) return fail(`${hits} conn`, `the suite's listener on 127.0.0.1:${p.port} accepted ${hits} connection(s) from the agent`, values);
      if (o.response!.status !== 'COMPLETED' || !(err > 0)) return fail(outcome(o), `expected the agent to report a failed connect, got ${outcome(o)} ${JSON.stringify(o.output)}`, values);
      return { pass: true, observed: `errno ${err}, 0 conn`, values };
    }),
  },
  {
    id: 'host-file-read', title: 'read a planted host file',
    calls: { ...wasm('sandbox'), ...linux('read', (p) => ({ mode: 'read', paths: [p.secretPath, p.dir] })) },
    expect: withOutcome((o, p) => {
      const leak = leaksSecret(o, p);
      if (leak) return fail('LEAKED', `the response contains ${leak}`);
      const results = outputField(o, 'results') as Record<string, number> | undefined;
      const err = errnoOf(results ? results[p.secretPath] : outputField(o, 'open_errno'));
      if (o.response!.status !== 'COMPLETED' || !(err > 0)) return fail(outcome(o), `expected the agent to report a failed open, got ${outcome(o)} ${JSON.stringify(o.output)}`);
      return { pass: true, observed: `errno ${err}`, values: { errno: err } };
    }),
  },
  {
    id: 'write-outside', title: 'write outside the sandbox',
    calls: { wasm: na(NO_FS), ...linux('write-outside', (p) => ({ mode: 'write_outside', paths: [p.victimPath, p.absentPath] })) },
    expect: withOutcome((o, p) => {
      const damage = p.hostDamage();
      if (damage) return fail('HOST CHANGED', damage);
      const results = outputField(o, 'results') as Record<string, number> | undefined;
      const err = errnoOf(results?.[p.victimPath]);
      return { pass: true, observed: `unchanged${err > 0 ? `, errno ${err}` : ''}`, values: { errno: err } };
    }),
  },
  {
    id: 'privilege', title: 'ptrace, mount, unshare, chroot, …',
    calls: { wasm: na(NO_SYSCALLS), ...linux('syscalls', () => ({ mode: 'syscalls' })) },
    expect: withOutcome((o) => {
      const must = ['ptrace', 'mount', 'umount2', 'unshare_user', 'unshare_ns', 'clone_newuser', 'chroot', 'pivot_root', 'init_module', 'reboot'];
      if (o.response!.status !== 'COMPLETED') return fail(outcome(o), `the agent did not report: ${o.response!.error?.message ?? ''}`);
      const allowed = must.filter((k) => errnoOf(outputField(o, k)) === 0 || outputField(o, k) === undefined);
      if (allowed.length) return fail(`allowed: ${allowed.join(',')}`, `these calls succeeded (or went unreported): ${allowed.join(', ')}; output ${JSON.stringify(o.output)}`);
      return { pass: true, observed: `${must.length} denied`, values: Object.fromEntries(must.map((k) => [k, errnoOf(outputField(o, k))])) };
    }),
  },
  {
    id: 'setuid', title: 'become root (setuid/setgid 0)',
    calls: { wasm: na(NO_SYSCALLS), ...linux('setuid', () => ({ mode: 'setuid' })) },
    expect: withOutcome((o) => {
      if (o.response!.status !== 'COMPLETED') return fail(outcome(o), `the agent did not report: ${o.response!.error?.message ?? ''}`);
      const euid = Number(outputField(o, 'euid'));
      const caps = String(outputField(o, 'cap_eff') ?? '');
      const values = { euid, cap_eff: caps };
      if (euid === 0 && !/^0*$/.test(caps)) return fail(`root caps ${caps}`, 'the agent holds uid 0 with effective capabilities', values);
      return { pass: true, observed: `euid ${euid} caps ${caps.replace(/^0+(?=.)/, '') || '0'}`, values };
    }),
  },
  {
    id: 'env-leak', title: 'daemon environment not visible',
    calls: { ...wasm('env'), ...linux('env', () => ({ mode: 'env' })) },
    expect: withOutcome((o, p) => {
      const leak = leaksSecret(o, p);
      if (leak) return fail('LEAKED', `the agent saw ${leak}`);
      if (o.response!.status !== 'COMPLETED') return fail(outcome(o), `the agent did not report its environment: ${o.response!.error?.message ?? ''}`);
      const env = outputField(o, 'env');
      const n = Array.isArray(env) ? env.length : typeof env === 'string' ? env.split(';').filter(Boolean).length : 0;
      return { pass: true, observed: `${n} vars, no secret`, values: { env_count: n } };
    }),
  },
  {
    id: 'symlink', title: 'symlink to a host file left behind',
    calls: { wasm: na(NO_FS), ...linux('symlink', (p) => ({ mode: 'symlink', target: p.victimPath })) },
    expect: withOutcome((o, p) => {
      const damage = p.hostDamage();
      if (damage) return fail('HOST CHANGED', damage);
      return { pass: true, observed: `unchanged (errno ${outputField(o, 'tmp_errno') ?? '?'})` };
    }),
  },
  {
    id: 'detached-grandchild', title: 'detached grandchild outliving the task',
    calls: { wasm: na(NO_PROCS), ...linux('detach', () => ({ mode: 'detach' })) },
    expect: withOutcome(async (o, p) => {
      if (!p.hostChecks) return { pass: true, observed: `${outcome(o)} (not checked)`, detail: 'daemon on another host: cannot look for leftovers' };
      const left = await p.leftovers(o.backend, o.taskId);
      if (left.length) return fail(`${left.length} left`, `still alive after the task: ${left.slice(0, 5).join('; ')}`, { leftovers: left.length });
      return { pass: true, observed: `${outcome(o)}, 0 left`, values: { leftovers: 0 } };
    }),
  },
  {
    id: 'crash', title: 'crash (trap / SIGSEGV)',
    calls: { ...wasm('crash'), ...linux('crash', () => ({ mode: 'segv' })) },
    expect: withOutcome(failedWith('CRASHED')),
  },
  {
    id: 'stack-overflow', title: 'unbounded recursion',
    calls: { ...wasm('recursion'), native: na('covered by crash (a native stack overflow is a SIGSEGV)'), docker: na('as native') },
    expect: withOutcome(failedWith('CRASHED')),
  },
  {
    id: 'malformed-result', title: 'malformed result document',
    calls: { ...wasm('badresult'), ...linux('badjson', () => ({ mode: 'badjson' })) },
    expect: withOutcome(failedWith('BAD_OUTPUT')),
  },
  {
    id: 'log-flood', title: 'log flood (stderr / env.log)',
    calls: { ...wasm('logflood'), ...linux('logflood', () => ({ mode: 'stderr', lines: 200_000 })) },
    expect: withOutcome((o) => {
      const r = o.response!;
      // Logs are capped, not fatal: the task completes, or ends on a limit; the daemon must stay healthy.
      if (r.status === 'COMPLETED' || r.status === 'OUTPUT_LIMIT' || r.status === 'TIMEOUT') return { pass: true, observed: `${outcome(o)} in ${o.elapsedMs}ms` };
      return fail(outcome(o), `a log flood ended as ${outcome(o)}: ${r.error?.message ?? ''}`);
    }),
  },
  ...CONTAINMENT_CASES,
  ...DOCKER_CASES,
  ...OUTPUT_CASES,
  ...WASM_BULK_CASES,
  ...EGRESS_CASES,
];
