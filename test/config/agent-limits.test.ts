// [agents.limits] may only set limits the agent's backend enforces: anything else is refused at startup, naming
// the agent, the limit and the backend (config for what a backend never enforces, the daemon for what this host lacks).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { LIMIT_TABLE } from '../../src/contract/limits.js';
import { unenforcedLimits, unenforcedLimitsMessage } from '../../src/runtimes/backend.js';
import { BACKENDS } from '../../src/runtimes/backends.js';
import { dockerEnforces } from '../../src/runtimes/docker/enforcement.js';

const dir = mkdtempSync(join(tmpdir(), 'ari-agent-limits-'));
writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'M', version: '1', capabilities: [{ name: 'run' }] }));
writeFileSync(join(dir, 'a.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
writeFileSync(join(dir, 'agent.sh'), '#!/bin/sh\ncat\n', { mode: 0o755 });

/** A valid agent of each backend, so the only thing wrong is the limit under test. */
const OWN_KEYS: Record<string, string> = { wasm: 'module = "a.wasm"', native: 'command = ["./agent.sh"]', docker: 'image = "busybox:1"' };
const agent = (runtime: string, limits: string, id = `${runtime}-agent`) =>
  `[[agents]]\nid = "${id}"\nruntime = "${runtime}"\nmanifest = "m.json"\n${OWN_KEYS[runtime]}\n[agents.limits]\n${limits}\n`;
const load = (text: string) => parseConfig(text, 'test.toml', dir);

describe('[agents.limits] the backend cannot enforce', () => {
  it('covers every registered backend (a new one needs a valid agent here)', () => {
    expect(Object.keys(OWN_KEYS).sort()).toEqual(BACKENDS.map((b) => b.name).sort());
  });

  it('fuel on a Docker agent is refused, naming the agent, the limit and the backend', () => {
    expect(() => load(agent('docker', 'fuel = 1000', 'fetcher'))).toThrow(
      /^agents\[0\] \(fetcher\)\.limits: fuel cannot be enforced by the docker backend \(remove it, or run the agent on a backend that enforces it; `ari health` lists each backend's mechanisms\)$/);
  });

  it('pids on wasm and fuel on native are refused the same way', () => {
    expect(() => load(agent('wasm', 'pids = 4'))).toThrow('agents[0] (wasm-agent).limits: pids cannot be enforced by the wasm backend');
    expect(() => load(agent('native', 'fuel = 5'))).toThrow('agents[0] (native-agent).limits: fuel cannot be enforced by the native backend');
  });

  it('for every backend, each limit it never enforces is refused and each one it enforces is accepted', () => {
    for (const b of BACKENDS) {
      for (const row of LIMIT_TABLE) {
        const text = agent(b.name, `${row.wire} = 1`);
        if (b.enforces[row.key] === null) expect(() => load(text), `${b.name} ${row.wire}`).toThrow(`${row.wire} cannot be enforced by the ${b.name} backend`);
        else expect(load(text).agents[0]!.limits[row.key], `${b.name} ${row.wire}`).toBe(1);
      }
    }
  });

  it('names every unenforceable limit of one agent at once', () => {
    const rows = unenforcedLimits({ fuel: 5, cpuMillis: 10, timeoutMs: 1000 }, dockerEnforces(false));
    expect(unenforcedLimitsMessage('docker', rows)).toMatch(/^cpu_millis, fuel cannot be enforced by the docker backend \(remove them, or run the agent on a backend that enforces them;/);
  });

  it('an included agent file is checked the same way', () => {
    writeFileSync(join(dir, 'more.toml'), agent('docker', 'fuel = 7', 'included'));
    expect(() => load('include = ["more.toml"]')).toThrow('agents[0] (included).limits: fuel cannot be enforced by the docker backend');
  });

  it('cpu_millis on Docker passes config (task cgroups enforce it); a host without them is refused at daemon start', () => {
    expect(load(agent('docker', 'cpu_millis = "2s"')).agents[0]!.limits.cpuMillis).toBe(2000);
    // What the daemon checks after the runtime started: this host's mechanisms (here: the systemd cgroup driver's).
    const rows = unenforcedLimits({ cpuMillis: 2000, timeoutMs: 1000 }, dockerEnforces(false));
    expect(rows.map((r) => r.wire)).toEqual(['cpu_millis']);
    expect(unenforcedLimitsMessage('docker', rows, ' on this host')).toMatch(/^cpu_millis cannot be enforced by the docker backend on this host \(remove it,/);
    expect(unenforcedLimits({ cpuMillis: 2000 }, dockerEnforces(true))).toEqual([]);
  });

  it('`ari serve` with such an agent exits non-zero before listening, with the message', async () => {
    const file = join(dir, 'serve.toml');
    writeFileSync(file, `[server]\nlisten = "127.0.0.1:0"\nmetrics = ""\n[storage]\npath = ""\n${agent('docker', 'fuel = 1000', 'fetcher')}`);
    const bin = resolve(import.meta.dirname, '../../bin/ari.js');
    const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = execFile(process.execPath, [bin, 'serve', '--config', file], { env: { ...process.env, ARI_FROM_SOURCE: '1' }, timeout: 30_000 },
        (err, _out, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr }));
      child.stdin?.end();
    });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code, r.stderr).not.toBeNull();
    expect(r.stderr).toContain('agents[0] (fetcher).limits: fuel cannot be enforced by the docker backend');
  }, 40_000);
});
