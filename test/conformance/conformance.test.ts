// The conformance suite against a daemon it starts in this process: every case on every backend must pass,
// and a daemon with a limit turned off must fail loudly. One file, so the two runs never compete for the CPU.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/args.js';
import { main } from '../../src/cli/main.js';
import { BACKENDS } from '../../src/conformance/case-types.js';
import { CASES } from '../../src/conformance/cases.js';
import { ENV_SECRET_NAME } from '../../src/conformance/host-probe.js';
import { CONFORMANCE_CONFIG } from '../../src/conformance/local-daemon.js';
import { formatJson, JSON_SCHEMA_ID } from '../../src/conformance/report-json.js';
import { formatJunit } from '../../src/conformance/report-junit.js';
import { formatTable } from '../../src/conformance/report-table.js';
import { runConformance } from '../../src/conformance/run.js';
import { runSuite } from '../../src/conformance/suite.js';

type Agent = Record<string, unknown> & { id: string; runtime: string; limits?: Record<string, unknown>; env?: Record<string, string> };

/** The bundled conformance config with paths made absolute, so a modified copy can live in a temp dir. */
function weakenedConfig(weaken: (agent: (id: string) => Agent) => void): string {
  const base = dirname(CONFORMANCE_CONFIG);
  const doc = parse(readFileSync(CONFORMANCE_CONFIG, 'utf8')) as { agents: Agent[]; include?: string[] };
  const abs = (p: unknown) => (typeof p === 'string' && !isAbsolute(p) ? resolve(base, p) : p);
  if (doc.include) doc.include = doc.include.map((f) => abs(f) as string);
  for (const a of doc.agents) {
    for (const key of ['module', 'manifest', 'build']) if (a[key] !== undefined) a[key] = abs(a[key]);
    if (a.runtime === 'native') a.command = (a.command as string[]).map((c, i) => (i === 0 ? abs(c) as string : c));
  }
  weaken((id) => {
    const a = doc.agents.find((x) => x.id === id);
    if (!a) throw new Error(`no agent ${id} in ${CONFORMANCE_CONFIG}`);
    return a;
  });
  const file = join(mkdtempSync(join(tmpdir(), 'ari-test-weak-')), 'ari.toml');
  writeFileSync(file, stringify(doc));
  return file;
}

function captureIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => { stdout.push(t); }, err: (t) => { stderr.push(t); }, readStdin: async () => '' };
}

describe('ari conformance (in-process daemon, fixtures/conformance/ari.toml)', () => {
  it('passes every applicable case on wasm, native and docker, and leaves nothing behind', async () => {
    const progress: string[] = [];
    // A sanity bound for a loaded host: the overshoot itself is the figure `ari conformance` prints (default bounds there).
    const killBoundMs = { wasm: 1000, native: 1000, docker: 1000 };
    const report = await runSuite({ backends: BACKENDS, killBoundMs, progress: (l, final) => { if (final) progress.push(l); } });
    const table = formatTable(report);
    console.log(table);
    for (const b of report.backends) {
      expect(b.available, `backend ${b.name} unavailable: ${b.reason} (run scripts/setup-host.sh)`).toBe(true);
    }
    const failures = report.cases.flatMap((c) => Object.entries(c.cells).filter(([, cell]) => cell!.result !== 'PASS' && cell!.result !== 'NA')
      .map(([b, cell]) => `${b} ${c.id}: ${cell!.result} ${cell!.observed} ${cell!.detail}`));
    const leakFailures = report.leaks.filter((l) => l.result === 'FAIL').map((l) => `${l.id}: ${l.observed} ${l.detail}`);
    expect([...failures, ...leakFailures], table).toEqual([]);
    expect(report.passed).toBe(true);
    // Every case ran on every backend it applies to, and the progress line followed each cell.
    for (const c of CASES) for (const b of BACKENDS) expect(report.cases.find((r) => r.id === c.id)?.cells[b]).toBeDefined();
    expect(progress.length).toBe(CASES.length * BACKENDS.length);
    // Reports render: JSON with its schema id, JUnit with one suite per backend plus leaks.
    const json = JSON.parse(formatJson(report, 0));
    expect(json.schema).toBe(JSON_SCHEMA_ID);
    expect(json.cases[0].cells.wasm).toHaveProperty('concurrent_good');
    expect(formatJunit(report).match(/<testsuite /g)).toHaveLength(4);
  }, 900_000);

  it('runs as `ari conformance`: exit 0, table on stdout, progress on stderr, --json', async () => {
    const io = captureIo();
    const code = await main(['conformance', '--backend', 'wasm', '--case', 'good-task,crash,malformed-result'], io);
    expect(io.stdout.join('\n')).toMatch(/crash\s+PASS FAILED\/CRASHED/);
    expect(code, io.stdout.join('\n')).toBe(0);
    expect(io.stderr.some((l) => /\[\d+\/3\] wasm crash: PASS/.test(l))).toBe(true);
    const j = captureIo();
    const jsonCode = await main(['conformance', '--backend', 'wasm', '--case', 'good-task', '--json'], j);
    const doc = JSON.parse(j.stdout.join('\n'));
    expect(jsonCode, JSON.stringify({ cases: doc.cases, leaks: doc.leaks })).toBe(0);
    expect(doc).toMatchObject({ schema: JSON_SCHEMA_ID, passed: true, exit_code: 0, in_process: true });
    expect(doc.cases[0].cells.wasm).toMatchObject({ result: 'PASS', status: 'COMPLETED', agent_id: 'c-wasm-math' });
  }, 120_000);

  it('refuses unknown backends and cases with a usage error', async () => {
    const io = captureIo();
    expect(await main(['conformance', '--backend', 'jvm'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/unknown backend "jvm"/);
    expect(await main(['conformance', '--case', 'nope'], io)).toBe(2);
  });
});

describe('ari conformance against a weakened daemon', () => {
  it('fails the cases whose limit was turned off, names them, and exits non-zero', async () => {
    const secret = `weak-secret-${Date.now()}`;
    const config = weakenedConfig((agent) => {
      // Timeouts effectively off (5 minutes, fuel at the ceiling): runaway tasks are never stopped in time.
      agent('c-wasm-loop').limits = { timeout_ms: '5m', fuel: 1_000_000_000_000 };
      agent('c-native-sleep').limits = { timeout_ms: '5m' };
      // A daemon that hands its own environment to the agent.
      agent('c-native-env').env = { [ENV_SECRET_NAME]: secret };
    });
    const previous = process.env[ENV_SECRET_NAME];
    process.env[ENV_SECRET_NAME] = secret;
    const out: string[] = [];
    const io: Io = { out: (t) => { out.push(t); }, err: () => {}, readStdin: async () => '' };
    let code: number;
    try {
      code = await runConformance(['--config', config, '--backend', 'wasm,native', '--case', 'good-task,call-free-loop,sleep-timeout,env-leak,crash',
        '--task-budget', '4s', '--json'], io);
    } finally {
      if (previous === undefined) delete process.env[ENV_SECRET_NAME];
      else process.env[ENV_SECRET_NAME] = previous;
    }
    const doc = JSON.parse(out.join('\n'));
    const cell = (id: string, b: string) => doc.cases.find((c: { id: string }) => c.id === id).cells[b];
    expect(code).toBe(1);
    expect(doc).toMatchObject({ passed: false, exit_code: 1 });
    expect(cell('call-free-loop', 'wasm')).toMatchObject({ result: 'FAIL', observed: 'no outcome' });
    expect(cell('call-free-loop', 'wasm').detail).toMatch(/did not stop the task/);
    expect(cell('sleep-timeout', 'native')).toMatchObject({ result: 'FAIL', observed: 'no outcome' });
    expect(cell('env-leak', 'native')).toMatchObject({ result: 'FAIL', observed: 'LEAKED' });
    expect(cell('env-leak', 'native').detail).toMatch(new RegExp(ENV_SECRET_NAME));
    // The limits left alone still hold: only the weakened cases fail.
    expect(cell('env-leak', 'wasm').result).toBe('PASS');
    expect(cell('crash', 'wasm').result).toBe('PASS');
    expect(cell('crash', 'native').result).toBe('PASS');
    expect(cell('good-task', 'native').result).toBe('PASS');
  }, 300_000);
});
