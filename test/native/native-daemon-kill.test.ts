// SIGKILL of a daemon-like process in the middle of its tasks leaves no sandbox process behind; the next start sweeps its cgroups.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepNative } from '../../src/runtimes/native/sweep-native.js';
import { cgroupDirsOf, childrenOf, processesOfUids, REPO, sleep } from './native-helpers.js';

const UIDS: [number, number] = [2_140_000, 8];

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

describe('daemon killed mid-task', () => {
  it('leaves no sandbox process behind, and its cgroups are swept at the next start', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(REPO, 'test/native/daemon-child.ts'), String(UIDS[0]), String(UIDS[1])], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    const exited = new Promise((r) => child.on('exit', r));
    let helpers: number[] = [];
    try {
      expect(await waitFor(() => out.includes('started') || out.includes('unavailable'), 20_000), out).toBe(true);
      if (out.includes('unavailable')) throw new Error(`native backend unavailable: ${out} (run scripts/setup-host.sh as root)`);
      // the sleeper, the spinner and two pooled sandboxes, each pid 1 of its namespace under bwrap's monitor
      expect(await waitFor(() => processesOfUids(...UIDS).length >= 6, 10_000)).toBe(true);
      expect(cgroupDirsOf(child.pid!).length).toBeGreaterThan(0);
      // the spawn helper, a node (the sandboxes are its children, not the daemon's; the janitor is a bash that outlives us on purpose)
      helpers = childrenOf(child.pid!).filter((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'node');
      expect(helpers.length, 'the daemon runs its spawn helper').toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    // zombies count too: the host's init reaps orphans only every second or two
    const gone = await waitFor(() => processesOfUids(...UIDS).length === 0, 5000);
    expect(gone, `left behind: ${processesOfUids(...UIDS).join(', ')}`).toBe(true);
    const alive = (pid: number) => { try { return process.kill(pid, 0); } catch { return false; } };
    const zombie = (pid: number) => { try { return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return true; } };
    expect(await waitFor(() => helpers.every((p) => !alive(p) || zombie(p)), 5000), `spawn helper left: ${helpers.join(', ')}`).toBe(true);
    // the janitor removed the dead daemon's cgroups; a sweep at the next start would have found them otherwise
    expect(await waitFor(() => cgroupDirsOf(child.pid!).length === 0, 3000), cgroupDirsOf(child.pid!).join(', ')).toBe(true);
    await sweepNative();
  });
});
