// `ari config check` (same validation as serve, what it would host, include = [...]) and `ari conformance`
// against a daemon that lacks the suite's agents: "not configured", exit 4, never counted as passed.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, REPO } from '../helpers/test-daemon.js';

const BIN = join(REPO, 'bin/ari.js');
const dir = mkdtempSync(join(tmpdir(), 'ari-cfgcheck-'));
const children: ChildProcess[] = [];
afterAll(() => { for (const c of children) c.kill('SIGTERM'); });

function ari(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, timeout: 120_000, env: { ...process.env, ARI_FROM_SOURCE: '1' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

const MATH = `[[agents]]\nid = "math"\nruntime = "wasm"\nmodule = "${FIXTURES}/math/math.wasm"\nmanifest = "${FIXTURES}/math/manifest.json"\n`;

describe('ari config check', () => {
  it('prints what a valid config would host, included agent files too', async () => {
    const file = join(dir, 'ok.toml');
    writeFileSync(file, `include = ["${REPO}/fixtures/conformance/conformance-agents.toml"]\n[server]\nlisten = "127.0.0.1:7000"\nmetrics = ""\n${MATH}`);
    const r = await ari(['config', 'check', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`config ${file}: valid`);
    expect(r.stdout).toMatch(/^math\s+wasm\s+arithmetic, statistics/m);
    expect(r.stdout).toMatch(/^c-wasm-spin\s+wasm\s+run/m);
    expect(r.stdout).toMatch(/^c-docker-math\s+docker/m);
  });

  it('refuses what serve refuses, naming the key and the value', async () => {
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, `[limits.default]\nmemory_bytes = "64MB"\n${MATH}`);
    const r = await ari(['config', 'check', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('limits.default.memory_bytes: "64MB" is ambiguous');
    const open = join(dir, 'open.toml');
    writeFileSync(open, `[server]\nlisten = "0.0.0.0:7000"\n${MATH}`);
    const o = await ari(['config', 'check', open]);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/0\.0\.0\.0:7000/);
    expect((await ari(['config', 'schema'])).stdout).toContain('"memory_bytes"');
  });

  it('conformance-agents.toml holds exactly the agents of fixtures/conformance/ari.toml', () => {
    const agents = (f: string) => (parse(readFileSync(join(REPO, 'fixtures/conformance', f), 'utf8')) as { agents: unknown[] }).agents;
    expect(agents('conformance-agents.toml')).toEqual(agents('ari.toml'));
  });
});

describe('ari conformance against a daemon without the suite\'s agents', () => {
  it('reports "not configured", never passed, with its own exit code 4', async () => {
    const sock = join(dir, 'ari.sock');
    const config = join(dir, 'serve.toml');
    writeFileSync(config, `[server]\nlisten = "unix:${sock}"\nmetrics = ""\n[storage]\npath = ""\n${MATH}`);
    const d = spawn(process.execPath, [BIN, 'serve', '--config', config], { cwd: REPO, env: { ...process.env, ARI_FROM_SOURCE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(d);
    let log = '';
    d.stderr!.on('data', (c) => { log += c; });
    for (const deadline = Date.now() + 60_000; !log.includes('ari serving');) {
      if (Date.now() > deadline || d.exitCode !== null) throw new Error(`ari serve did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await ari(['conformance', '--target', `unix:${sock}`, '--backend', 'wasm', '--case', 'crash,stack-overflow', '--no-host-checks']);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(/^stack-overflow\s+not configured/m);
    expect(r.stdout).toContain('not configured (not run, not passed):');
    expect(r.stdout).toContain('conformance-agents.toml');
    expect(r.stdout).toMatch(/NOT CONFIGURED: 0 passed, 0 failed, 2 not configured/);
    expect(r.stdout).toMatch(/leak check\s+what it checked\s+result\s+observed/);
    const j = await ari(['conformance', '--target', `unix:${sock}`, '--backend', 'wasm', '--case', 'crash', '--no-host-checks', '--json']);
    const report = JSON.parse(j.stdout);
    expect(j.code).toBe(4);
    expect(report.passed).toBe(false);
    expect(report.summary).toMatchObject({ pass: 0, not_configured: 1 });
    expect(report.cases[0].cells.wasm.result).toBe('NOT_CONFIGURED');
  }, 180_000);
});
