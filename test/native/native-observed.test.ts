// Statuses from what was observed, not from exit codes an agent picks; a binary the sandbox uid cannot reach fails at load, naming the path.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import { AgentLoadError } from '../../src/runtimes/runtime.js';
import { agent, CONTAIN_BIN, run, startRuntime } from './native-helpers.js';

const UIDS: [number, number] = [2_100_012, 4]; // this file's share of the helper range 2_100_000+64
const CONTAIN = agent('contain', CONTAIN_BIN);
let rt: NativeRuntime;
beforeAll(async () => { rt = await startRuntime({ uidRange: UIDS }); });
afterAll(async () => { await rt?.close(); });

describe('native statuses from observation', () => {
  it('exit(152) with no CPU spent is FAILED AGENT_ERROR, not a forged CPU_LIMIT', async () => {
    const r = await run(rt, CONTAIN, 'run', { mode: 'exit', code: 152 }, { cpuMillis: 2000 });
    expect(r.status).toBe('FAILED');
    expect(r.error?.code).toBe('AGENT_ERROR');
    expect(r.usage.exitCode).toBe(152);
    expect(r.usage.signal).toBe('');
    expect(r.usage.cpuMs).toBeLessThan(2000);
  });

  it('exit(137) with no CPU spent and no OOM is not CPU_LIMIT nor OUT_OF_MEMORY', async () => {
    const r = await run(rt, CONTAIN, 'run', { mode: 'exit', code: 137 });
    expect(r.status).toBe('FAILED');
    expect(['CRASHED', 'AGENT_ERROR']).toContain(r.error?.code);
  });

  it('a child OOM-killed while the agent still answers is OUT_OF_MEMORY (the kernel\'s record wins over the answer)', async () => {
    const r = await run(rt, CONTAIN, 'run', { mode: 'child-oom', mb: 256 }, { memoryBytes: 32 << 20 });
    expect(r.status, JSON.stringify(r)).toBe('OUT_OF_MEMORY');
    expect(r.error?.message).toMatch(/OOM-killed/);
  });

  it('exit(3) is FAILED AGENT_ERROR naming the exit code', async () => {
    const r = await run(rt, CONTAIN, 'run', { mode: 'exit', code: 3 });
    expect(r).toMatchObject({ status: 'FAILED', error: { code: 'AGENT_ERROR' } });
    expect(r.error?.message).toMatch(/3/);
  });
});

describe('native prepare: reach of the sandbox uid', () => {
  const root = mkdtempSync(join(tmpdir(), 'ari-reach-'));
  const locked = join(root, 'locked');
  mkdirSync(locked);
  const bin = join(locked, 'contain');
  copyFileSync(CONTAIN_BIN, bin);
  chmodSync(bin, 0o755);
  chmodSync(root, 0o755);

  it('a binary in a directory the sandbox uid cannot search is an AgentLoadError naming that directory', async () => {
    chmodSync(locked, 0o700);
    const a = agent('locked', bin);
    await expect(rt.prepare(a)).rejects.toThrow(AgentLoadError);
    await expect(rt.prepare(a)).rejects.toThrow(`${locked} (mode 0700) cannot be searched by the sandbox uid`);
  });

  it('a binary only its owner may execute is an AgentLoadError naming the binary', async () => {
    chmodSync(locked, 0o755);
    chmodSync(bin, 0o700);
    await expect(rt.prepare(agent('owner-only', bin))).rejects.toThrow(`${bin} (mode 0700) is not executable by the sandbox uid`);
  });

  it('a bind under a directory the sandbox uid cannot search is an AgentLoadError naming it', async () => {
    chmodSync(locked, 0o700);
    await expect(rt.prepare(agent('bind', CONTAIN_BIN, { binds: [bin] }))).rejects.toThrow(/binds\[0\]: .*locked \(mode 0700\) cannot be searched/);
  });

  it('once reachable, the same binary loads and runs', async () => {
    chmodSync(locked, 0o711);
    chmodSync(bin, 0o711);
    const a = agent('reachable', bin);
    await expect(rt.prepare(a)).resolves.toBeUndefined();
    const r = await run(rt, a, 'run', { mode: 'sockets' });
    expect(r.status, r.error?.message).toBe('COMPLETED');
  });
});
