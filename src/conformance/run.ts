// `ari conformance`: flags → one suite run → table (or JSON) on stdout, JUnit file, progress on stderr, exit status.
import { writeFileSync } from 'node:fs';
import { CLIENT_OPTIONS, EXIT, UsageError, parseCommand, parseDuration, parseSize, positionals, printHelp, processIo, type Io } from '../cli/args.js';
import { BACKENDS, KILL_BOUND_MS, type Backend } from './case-types.js';
import { CASES } from './cases.js';
import { formatJson } from './report-json.js';
import { formatJunit } from './report-junit.js';
import { formatTable } from './report-table.js';
import { suiteExitCode } from './summary.js';
import { DEFAULT_MAX_RSS_GROWTH, DEFAULT_TASK_BUDGET_MS, runSuite } from './suite.js';

export const CONFORMANCE_HELP = `Usage: ari conformance [--target ADDR] [--backend wasm,native,docker] [--json] [--junit FILE] [--config FILE]
  Proves on this host that every limit ari promises holds on every backend: runs hostile tasks (and a good
  task beside each) against the conformance agents, then checks the host for leaks. Prints one row per case,
  one column per backend. Exit status 0 only when every applicable case passes; 1 when any fails or a
  selected backend is unavailable; 4 when nothing failed but some cases could not run because the target
  does not host their agents ("not configured": never counted as passed); 2 usage; 3 the target could not
  be reached. To host the suite's agents, add one line to the daemon's config:
    include = ["<ari>/fixtures/conformance/conformance-agents.toml"]
  and for the egress rows also "<ari>/fixtures/conformance/egress-agents.toml" with the [network] ceiling it names
  (the rows' upstream listens on 127.0.0.1:28613 on this host).

  --target ADDR        test a running daemon (it must host the agents of fixtures/conformance/ari.toml);
                       default: start a daemon in this process from --config
  --config FILE        config of the in-process daemon (default fixtures/conformance/ari.toml)
  --backend LIST       backends to test (default wasm,native,docker); leave out one you know is unavailable
  --case LIST          only these cases (${CASES.map((c) => c.id).join(', ')})
  --json               the JSON report (schema ari.conformance/v1, docs/conformance-json.md) instead of the table
  --junit FILE         also write a JUnit XML report
  --kill-bound-ms B    pass bound of every kill's overshoot (past the deadline for TIMEOUT, after CancelTask for
                       CANCELLED): N for every backend, or per backend, e.g. docker=300,native=150
                       (default ${Object.entries(KILL_BOUND_MS).map(([b, n]) => `${b}=${n}`).join(',')}); the overshoot is printed either way
  --task-budget DUR    longest wait for one task's outcome before its limit counts as unenforced (default ${DEFAULT_TASK_BUDGET_MS / 1000}s)
  --uid-start N        a --target daemon's sandbox uid range ([runtimes.native] uid_start, default 2000000)
  --uid-count N        … and its size (uid_count, default 64), for the process checks
  --daemon-pid PID     a --target daemon's pid on this host, for the RSS-growth row
  --no-host-checks     the --target daemon is on another host: skip process/cgroup/container/temp checks
  --max-rss-growth SZ  allowed daemon RSS growth over the run (default ${DEFAULT_MAX_RSS_GROWTH / 1024 ** 2}MiB)
  --token, --tls-ca, --tls-cert, --tls-key   as for the other client commands
  With --target, export ARI_CONFORMANCE_SECRET=<value> to both the daemon and the suite so the env-leak case
  can look for the value, not just the name.`;

export const CONFORMANCE_OPTIONS = {
  ...CLIENT_OPTIONS,
  junit: { type: 'string' },
  config: { type: 'string' },
  backend: { type: 'string' },
  case: { type: 'string' },
  'task-budget': { type: 'string' },
  'kill-bound-ms': { type: 'string' },
  'uid-start': { type: 'string' },
  'uid-count': { type: 'string' },
  'daemon-pid': { type: 'string' },
  'no-host-checks': { type: 'boolean' },
  'max-rss-growth': { type: 'string' },
} as const;

function list(text: string | undefined): string[] | undefined {
  return text?.split(',').map((s) => s.trim()).filter(Boolean);
}

function backendsOf(text: string | undefined): Backend[] {
  const names = list(text) ?? [...BACKENDS];
  for (const n of names) if (!BACKENDS.includes(n as Backend)) throw new UsageError(`unknown backend "${n}" (known: ${BACKENDS.join(', ')})`, CONFORMANCE_HELP);
  if (!names.length) throw new UsageError('--backend names no backend', CONFORMANCE_HELP);
  return names as Backend[];
}

/** `--kill-bound-ms`: "N" (every backend) or "backend=N,…" (those named; the rest keep their default). */
export function killBoundsOf(text: string | undefined): Partial<Record<Backend, number>> | undefined {
  if (text === undefined) return undefined;
  const bad = () => new UsageError(`invalid --kill-bound-ms "${text}": expected milliseconds, N or backend=N,… (e.g. 200 or docker=300,native=150)`, CONFORMANCE_HELP);
  if (/^\d+$/.test(text.trim())) return Object.fromEntries(BACKENDS.map((b) => [b, Number(text)]));
  const out: Partial<Record<Backend, number>> = {};
  for (const part of list(text) ?? []) {
    const m = /^(\w+)=(\d+)$/.exec(part);
    if (!m || !BACKENDS.includes(m[1] as Backend)) throw bad();
    out[m[1] as Backend] = Number(m[2]);
  }
  if (!Object.keys(out).length) throw bad();
  return out;
}

function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`invalid ${flag} "${text}": expected a positive whole number`, CONFORMANCE_HELP);
  return n;
}

/** Progress on stderr: one overwritten line on a terminal, one line per finished cell otherwise. */
function progressWriter(io: Io): (line: string, final?: boolean) => void {
  const tty = io === processIo && process.stderr.isTTY;
  if (tty) return (line) => { process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 100) - 1)}`); };
  return (line, final) => { if (final) io.err(line); };
}

export async function runConformance(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals: pos } = parseCommand(argv, CONFORMANCE_OPTIONS, CONFORMANCE_HELP);
  if (v.help) return printHelp(io, CONFORMANCE_HELP);
  positionals(pos, [], CONFORMANCE_HELP);
  if (v.target && v.config) throw new UsageError('--config starts the suite\'s own daemon; it cannot be combined with --target', CONFORMANCE_HELP);
  const tlsWanted = v['tls-ca'] || v['tls-cert'] || v['tls-key'];
  const caseIds = list(v.case);
  const unknown = caseIds?.filter((id) => !CASES.some((c) => c.id === id)) ?? [];
  if (unknown.length) throw new UsageError(`unknown case ${unknown.join(', ')}`, CONFORMANCE_HELP);
  const progress = progressWriter(io);
  const report = await runSuite({
    target: v.target,
    configPath: v.config,
    connect: {
      token: v.token || process.env.ARI_TOKEN || undefined,
      tls: tlsWanted ? { ca: v['tls-ca'], cert: v['tls-cert'], key: v['tls-key'] } : undefined,
    },
    backends: backendsOf(v.backend),
    caseIds,
    killBoundMs: killBoundsOf(v['kill-bound-ms']),
    taskBudgetMs: v['task-budget'] ? parseDuration(v['task-budget'], '--task-budget') : undefined,
    sandboxUidStart: positiveInt(v['uid-start'], '--uid-start'),
    sandboxUidCount: positiveInt(v['uid-count'], '--uid-count'),
    daemonPid: positiveInt(v['daemon-pid'], '--daemon-pid'),
    hostChecks: v['no-host-checks'] ? false : undefined,
    maxRssGrowthBytes: v['max-rss-growth'] ? parseSize(v['max-rss-growth'], '--max-rss-growth') : undefined,
    progress,
  });
  if (io === processIo && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const code = suiteExitCode(report);
  io.out(v.json ? formatJson(report, code) : formatTable(report));
  if (v.junit) writeFileSync(v.junit, formatJunit(report));
  return code;
}
