// An image's declared VOLUMEs become the tmpfs mount points to mask, normalised as the engine matches them; the
// ones that cannot be masked safely refuse the image at load, naming the volume.
import { describe, expect, it } from 'vitest';
import { imageVolumes, MAX_IMAGE_VOLUMES } from '../../src/runtimes/docker/image-volumes.js';
import { hardenedHostConfig, TMPFS_BYTES } from '../../src/sandbox/docker/host-config.js';
import { LIMITS } from './docker-harness.js';

describe('imageVolumes', () => {
  it('normalises paths (trailing slashes, dot segments), dedupes, and leaves /tmp to the scratch tmpfs', () => {
    expect(imageVolumes(['/data/', '/var//cache/./x', '/data', '/tmp', '/tmp/'])).toEqual(['/data', '/var/cache/x']);
  });

  it.each([
    ['data', /not an absolute path/],
    ['/', /root/],
    ['/proc/self', /under \/proc/],
    ['/sys', /under \/sys/],
    ['/dev/shm/', /under \/dev/],
  ])('refuses VOLUME %s', (v, why) => {
    expect(() => imageVolumes([v])).toThrow(why);
    expect(() => imageVolumes([v])).toThrow(JSON.stringify(v));
  });

  it(`refuses more than ${MAX_IMAGE_VOLUMES} volumes`, () => {
    expect(() => imageVolumes(Array.from({ length: MAX_IMAGE_VOLUMES + 1 }, (_, i) => `/v${i}`))).toThrow(/VOLUMEs/);
  });
});

describe('hardenedHostConfig', () => {
  it('masks each volume and /tmp with a size-capped tmpfs the agent owns', () => {
    const hc = hardenedHostConfig(LIMITS, { seccompJson: '{}', volumes: ['/data'] });
    for (const p of ['/tmp', '/data']) expect(hc.Tmpfs[p]).toBe(`rw,noexec,nosuid,nodev,mode=1777,uid=65534,gid=65534,size=${TMPFS_BYTES}`);
  });

  it('puts the CPU cap on the engine without a fenced parent, on the parent with one', () => {
    expect(hardenedHostConfig(LIMITS, { seccompJson: '{}' }).NanoCpus).toBe(1e9);
    const fenced = hardenedHostConfig(LIMITS, { seccompJson: '{}', cgroupParent: '/ari-docker/x' });
    expect(fenced.NanoCpus).toBeUndefined();
    expect(fenced.Memory).toBeGreaterThan(LIMITS.memoryBytes);
  });
});
