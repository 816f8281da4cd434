// A daemon-like process started with extra inherited descriptors (a host file on fd 40, a supervisor's pipe on 41): no sandbox sees them.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REPO } from './native-helpers.js';

const UIDS = [2_100_000, 4]; // this file's share of the helper range 2_100_000+64

interface Probe { fds: number[]; write_errno: number }

/** The child of `ppid` whose argv mentions `name` (waits for it to appear). */
async function childNamed(ppid: number, name: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    for (const e of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (parent === ppid && readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').includes(name)) return Number(e);
      } catch { /* gone */ }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no child of ${ppid} named ${name}`);
}

/** Open in `pid` without O_CLOEXEC, so every exec'd child would inherit it. */
function inheritable(pid: number, fd: number): boolean {
  const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
  return !!m && (parseInt(m[1], 8) & 0o2000000) === 0;
}

describe('inherited descriptors', () => {
  it('a sandboxed agent, cold or pooled, holds only 0, 1, 2: writes to the inherited 40 and 41 fail, the host file and pipe stay untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ari-fds-'));
    const hostFile = join(dir, 'host-file.txt');
    writeFileSync(hostFile, 'original\n');
    const fileFd = openSync(hostFile, 'r+');
    const stdio = ['ignore', 'pipe', 'pipe', ...Array.from({ length: 37 }, () => 'ignore' as const), fileFd, 'pipe'] as const;
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/native/fd-child.ts'), String(UIDS[0]), String(UIDS[1]), '40', '41'], { stdio: [...stdio] });
    closeSync(fileFd);
    const pipeBytes: Buffer[] = [];
    (child.stdio as unknown as Readable[])[41].on('data', (c: Buffer) => pipeBytes.push(c));
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    // the premise: the child really holds both descriptors, inheritable
    await new Promise((r) => setTimeout(r, 300));
    for (const fd of [40, 41]) expect(inheritable(child.pid!, fd), `fd ${fd} of the daemon`).toBe(true);
    // the janitor (a root shell that outlives the daemon briefly) must not hold the supervisor's pipe open either
    // (its first commands close them: on a loaded host the test may look before bash has run them, so allow it 5 s)
    const janitor = await childNamed(child.pid!, 'ari-janitor');
    const janitorFds = () => readdirSync(`/proc/${janitor}/fd`).map(Number).sort((a, b) => a - b);
    for (let i = 0; i < 100 && janitorFds().length > 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(janitorFds()).toEqual([0, 1, 2]);
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, `${out}\n${err}`).toBe(0);
    const seen = JSON.parse(out.trim().split('\n').pop()!) as Record<string, Probe>;
    expect(Object.keys(seen).sort()).toEqual(['contain-pooled:40', 'contain-pooled:41', 'contain:40', 'contain:41']);
    for (const [k, v] of Object.entries(seen)) {
      expect(v.fds, k).toEqual([0, 1, 2]);
      expect(v.write_errno, k).toBe(9); // EBADF
    }
    expect(readFileSync(hostFile, 'utf8')).toBe('original\n');
    expect(Buffer.concat(pipeBytes).toString()).toBe('');
  }, 60_000);
});
