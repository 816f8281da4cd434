// Writable places of a container (issue 15): an image's VOLUMEs and /tmp are size-capped tmpfs counted against
// memory, writable by the agent's uid; none is host storage, and no anonymous volume is ever created.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { TMPFS_BYTES } from '../../src/sandbox/docker/host-config.js';
import { drained, engine, fixtureImage, hostileAgent, hostileTask, never, requireEngine } from './docker-harness.js';

const DAEMON = `test-vol-${process.pid}`;
const MiB = 1024 ** 2;
const ENOSPC = 28;
const EFBIG = 27;
const TMPFS_MAGIC = 0x01021994;
let rt: DockerRuntime;
const volume = hostileAgent({ id: 'volume-docker', image: fixtureImage('volume') });
const hostile = hostileAgent();

/**
 * Volumes created since `before` that are not another daemon's: other test files may run containers with volumes of
 * their own at the same time (e.g. the packaged ari image declares one), so a new volume counts unless some container
 * outside this file's daemon uses it.
 */
function newOfOurs(names: string[], before: string[]): string[] {
  return names.filter((n) => !before.includes(n)).filter((n) => {
    const users = execFileSync('docker', ['ps', '-a', '--filter', `volume=${n}`, '--format', '{{.Label "ari.daemon"}}'], { encoding: 'utf8' })
      .split('\n').filter(Boolean);
    return users.length === 0 || users.includes(DAEMON);
  });
}

/** Bytes under the engine's volumes directory, and the names of its volumes (docker CLI: what an operator sees). */
function hostVolumes(): { bytes: number; names: string[]; bytesOf(name: string): number } {
  const root = execFileSync('docker', ['info', '--format', '{{.DockerRootDir}}'], { encoding: 'utf8' }).trim();
  const du = (path: string) => Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
  const bytes = du(`${root}/volumes`);
  const names = execFileSync('docker', ['volume', 'ls', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return { bytes, names, bytesOf: (name) => du(`${root}/volumes/${name}`) };
}

beforeAll(async () => {
  await requireEngine();
  rt = new DockerRuntime({ daemonId: DAEMON });
  await rt.start();
  await rt.prepare(volume);
  await rt.prepare(hostile);
});
afterAll(async () => { await rt?.close(); });

describe('image VOLUMEs', () => {
  it.each(['/data', '/var/cache/agent'])('%s: 200 MiB under a 32 MiB limit stop at the tmpfs cap; the host disk does not grow', async (path) => {
    const before = hostVolumes();
    const run = rt.execute(volume, hostileTask('fill', { path, mb: 200, hold: 2 }, { memoryBytes: 32 * MiB }), never());
    // While the agent holds what it wrote: no volume exists, the volumes directory has not grown, nothing is mounted from the host.
    await new Promise((r) => setTimeout(r, 1200));
    const during = hostVolumes();
    const [id] = (await engine.listByLabel(`ari.daemon=${DAEMON}`)).map((c) => c.id);
    expect(id, 'the task container is running').toBeTruthy();
    expect((await engine.inspect(id)).mounts).toEqual([]);
    const r = await run;
    expect(r.status, JSON.stringify(r)).toBe('COMPLETED');
    const out = r.output as { written: number; errno: number; fs_type: number; fs_bytes: number };
    expect(out).toMatchObject({ fs_type: TMPFS_MAGIC, fs_bytes: TMPFS_BYTES }); // what the agent saw at the path
    expect(out.written).toBeLessThanOrEqual(TMPFS_BYTES);
    expect(out.written).toBeGreaterThan(0);
    expect([ENOSPC, EFBIG]).toContain(out.errno);
    const ours = newOfOurs(during.names, before.names);
    expect(ours).toEqual([]);
    // the directory's growth, less what other tests' new volumes hold
    const theirs = during.names.filter((n) => !before.names.includes(n)).reduce((sum, n) => sum + during.bytesOf(n), 0);
    expect(during.bytes - theirs - before.bytes).toBeLessThan(MiB);
    expect(await drained(DAEMON)).toEqual([]);
    expect(newOfOurs(hostVolumes().names, before.names)).toEqual([]);
  });

  it('counts volume tmpfs pages against the memory limit (more than the limit written: OUT_OF_MEMORY)', async () => {
    const r = await rt.execute(volume, hostileTask('fill', { path: '/data', mb: 15 }, { memoryBytes: 8 * MiB }), never());
    expect(r.status, JSON.stringify(r)).toBe('OUT_OF_MEMORY');
  });
});

describe('/tmp', () => {
  it('is writable by the agent\'s non-root uid', async () => {
    const r = await rt.execute(hostile, hostileTask('fill', { path: '/tmp', mb: 4 }), never());
    expect(r.output).toMatchObject({ mode: 'fill', denied: false, written: 4 * MiB, errno: 0 });
  });

  it('refuses writes past its cap (ENOSPC), also where the image declares /tmp a VOLUME', async () => {
    for (const agent of [hostile, volume]) {
      const r = await rt.execute(agent, hostileTask('fill', { path: '/tmp', mb: 64 }), never());
      expect(r.status, JSON.stringify(r)).toBe('COMPLETED');
      const out = r.output as { written: number; errno: number };
      expect(out.written).toBeLessThanOrEqual(TMPFS_BYTES);
      expect(out.written).toBeGreaterThanOrEqual(TMPFS_BYTES - 2 * MiB);
      expect([ENOSPC, EFBIG]).toContain(out.errno);
    }
  });

  it('leaves nothing behind', async () => {
    expect(await drained(DAEMON)).toEqual([]);
  });
});
