// 200 hostile tasks through one runtime: afterwards no process of a sandbox uid, no task cgroup, and the runtime still answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeRuntime } from '../../src/runtimes/native/native-runtime.js';
import type { Limits } from '../../src/contract/limits.js';
import { cgroupDirsOf, hostile, MATH, processesOfUids, run, sleep, startRuntime } from './native-helpers.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const UIDS: [number, number] = [2_150_000, 8];
let rt: NativeRuntime;
const SPARES = 2;
beforeAll(async () => { rt = await startRuntime({ uidRange: UIDS, tmpfsBytes: 4 << 20, cgroupSpares: SPARES }); });
afterAll(async () => { await rt?.close(); });

const MIX: [Record<string, unknown>, Partial<Limits>, string][] = [
  [{ mode: 'spin' }, { cpuMillis: 100 }, 'CPU_LIMIT'],
  [{ mode: 'sleep', seconds: 30 }, { timeoutMs: 150 }, 'TIMEOUT'],
  [{ mode: 'memory', mb: 256 }, { memoryBytes: 16 << 20 }, 'OUT_OF_MEMORY'],
  [{ mode: 'forkbomb' }, { timeoutMs: 200, pids: 8 }, 'TIMEOUT'],
  [{ mode: 'write', mb: 100 }, {}, 'COMPLETED'],
  [{ mode: 'flood' }, { outputBytes: 4096 }, 'OUTPUT_LIMIT'],
  [{ mode: 'connect', port: 1 }, {}, 'COMPLETED'],
  [{ mode: 'read', paths: ['/etc/shadow'] }, {}, 'COMPLETED'],
  [{ mode: 'write_outside', paths: ['/x'] }, {}, 'COMPLETED'],
  [{ mode: 'syscalls' }, {}, 'COMPLETED'],
  [{ mode: 'detach' }, {}, 'COMPLETED'],
  [{ mode: 'segv' }, {}, 'FAILED'],
];

describe('native soak', () => {
  it('runs 200 hostile tasks, 4 at a time, each ending in its expected status, and leaves nothing behind', async () => {
    const statuses: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 200) {
        const [input, limits, expected] = MIX[next++ % MIX.length];
        const r = await hostile(rt, input, { timeoutMs: 5000, ...limits });
        statuses.push(r.status === expected ? 'ok' : `${String(input.mode)}: ${r.status} ${r.error?.message ?? ''}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(statuses.filter((s) => s !== 'ok')).toEqual([]);
    expect(statuses.length).toBe(200);

    // zombies would show here too; none is expected, but allow the host's slow init a moment
    for (let i = 0; i < 50 && processesOfUids(...UIDS).length > 0; i++) await sleep(100);
    expect(processesOfUids(...UIDS)).toEqual([]);
    // Ended sandboxes' cgroups are removed just after their answer; what may stay is the few empty spares kept ready.
    const subdirs = (tree: string): string[] => readdirSync(tree, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    const settled = (): boolean => cgroupDirsOf(process.pid).every((tree) => subdirs(tree).length <= SPARES);
    for (let i = 0; i < 50 && !settled(); i++) await sleep(20);
    for (const tree of cgroupDirsOf(process.pid)) {
      const left = subdirs(tree);
      expect(left.length, `${tree}: ${left.join(', ')}`).toBeLessThanOrEqual(SPARES);
      for (const d of left) expect(readFileSync(join(tree, d, 'cgroup.procs'), 'utf8'), `${tree}/${d}`).toBe('');
    }

    const r = await run(rt, MATH, 'arithmetic', { operation: 'multiply', operands: [6, 7] });
    expect(r.output).toEqual({ result: 42 });
    expect((await rt.health()).available).toBe(true);

    await rt.close();
    expect(cgroupDirsOf(process.pid)).toEqual([]);
  }, 180_000);
});
