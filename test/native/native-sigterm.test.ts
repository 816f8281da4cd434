// One SIGTERM to `ari serve` with a native task in flight and native and Docker pools alive drains: exit 0, the task's real outcome recorded.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOSTILE_BIN, LIMITS, MATH, MATH_BIN, REPO, processesOfUids, run, sleep, startRuntime } from './native-helpers.js';
import { startServe, type ServeChild } from './serve-child.js';

const UIDS = [2_100_020, 8] as const; // this file's share of the helper range 2_100_000+64
const dir = mkdtempSync(join(tmpdir(), 'ari-sigterm-'));
const TOML = `
[server]
metrics = ""
shutdown_grace = "20s"
[storage]
path = "${dir}/data"
[runtimes.native]
concurrency = 2
uid_start = ${UIDS[0]}
uid_count = ${UIDS[1]}

[[agents]]
id = "sleeper"
runtime = "native"
command = ["${HOSTILE_BIN}"]
manifest = "${REPO}/fixtures/agents/native-hostile/manifest.json"

[[agents]]
id = "math-pooled"
runtime = "native"
command = ["${MATH_BIN}"]
manifest = "${REPO}/fixtures/agents/math/manifest.json"
pool = 2

[[agents]]
id = "math-docker-pooled"
runtime = "docker"
image = "ari-fixtures/math:1"
manifest = "${REPO}/fixtures/agents/math/manifest.json"
pool = 1
`;

/** Containers (running or not) that the daemon with this pid created: its owner label starts with the pid. */
function containersOf(pid: number): string[] {
  const out = execFileSync('docker', ['ps', '-a', '--filter', 'label=ari.owner', '--format', '{{.ID}} {{.Label "ari.owner"}}'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.split(' ')[1]?.startsWith(`${pid}.`)).map((l) => l.split(' ')[0]!);
}

const daemons: ServeChild[] = [];
afterAll(async () => {
  for (const d of daemons) { d.client.close(); await d.kill('SIGKILL'); }
});

describe('SIGTERM with native children and pooled containers alive', () => {
  it('the native runtime installs no signal or exit hook of its own (execa cleanup off: nothing to re-raise a signal)', async () => {
    const events = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const; // signal-exit hooks these ("exit" also has pino's flush)
    const before = events.map((e) => process.listenerCount(e));
    const rt = await startRuntime({ uidRange: [2_100_028, 4], agentLimits: () => LIMITS });
    try {
      const pooled = { ...MATH, id: 'math-pooled', pool: 1 };
      await rt.prepare(pooled);
      expect(await rt.pool(pooled.id)!.filled()).toBe(true);
      const r = await run(rt, MATH, 'arithmetic', { operation: 'add', operands: [40, 2] });
      expect(r.output).toEqual({ result: 42 });
      expect(events.map((e) => process.listenerCount(e))).toEqual(before);
    } finally {
      await rt.close();
    }
  });

  it('drains: the in-flight task completes and is recorded, the daemon exits 0, nothing is left running', async () => {
    const first = await startServe(dir, TOML);
    daemons.push(first);
    // the pool is up: pooled sandboxes are native children of the daemon, idle on stdin
    for (let i = 0; i < 100 && processesOfUids(...UIDS).length < 4; i++) await sleep(50);
    expect(processesOfUids(...UIDS).length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < 200 && containersOf(first.pid).length < 1; i++) await sleep(100);
    expect(containersOf(first.pid).length, 'the Docker pool started a container (docker engine running? scripts/setup-host.sh)').toBeGreaterThanOrEqual(1);
    const taskId = `sigterm-${process.pid}`;
    const sub = await first.client.submitTask({ task_id: taskId, agent_id: 'sleeper', capability: 'run', input: JSON.stringify({ mode: 'sleep', seconds: 2 }) });
    expect(['QUEUED', 'RUNNING']).toContain(sub.status);
    for (let i = 0; i < 100 && (await first.client.getTask(taskId)).status !== 'RUNNING'; i++) await sleep(20);
    const signalledAt = performance.now();
    process.kill(first.pid, 'SIGTERM');
    const exit = await first.exited;
    const tookMs = performance.now() - signalledAt;
    expect(exit, JSON.stringify(first.logs.slice(-8))).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeGreaterThan(1000); // it waited for the 2 s task rather than dying at once
    expect(first.logs.some((l) => l.msg === 'forced exit')).toBe(false);
    expect(first.logs.some((l) => l.msg === 'stopped')).toBe(true);
    for (let i = 0; i < 40 && processesOfUids(...UIDS).length > 0; i++) await sleep(50);
    expect(processesOfUids(...UIDS)).toEqual([]);
    for (let i = 0; i < 100 && containersOf(first.pid).length > 0; i++) await sleep(100);
    expect(containersOf(first.pid)).toEqual([]); // the Docker pool was torn down by the drain

    const second = await startServe(dir, TOML);
    daemons.push(second);
    const r = await second.client.getTask(taskId);
    expect(r.status, r.error?.message).toBe('COMPLETED');
    expect(JSON.parse(Buffer.from(r.output).toString())).toEqual({ slept: true });
  }, 120_000);
});
