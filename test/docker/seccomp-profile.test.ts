// The shipped seccomp profile: well-formed, refuses what it must, and a profile the engine rejects makes the
// backend unhealthy at start (Docker only rejects a bad profile when a container starts).
import { describe, expect, it } from 'vitest';
import { DockerodeClient } from '../../src/runtimes/docker/dockerode-client.js';
import type { ContainerClient, ContainerCreateSpec } from '../../src/runtimes/docker/container-client.js';
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { buildSeccompProfile } from '../../src/sandbox/docker/seccomp-profile.js';
import { ALLOWED_SYSCALLS, DENIED_SYSCALLS } from '../../src/sandbox/docker/seccomp-syscalls.js';
import { containersOf, requireEngine } from './docker-harness.js';

describe('seccomp profile', () => {
  const p = buildSeccompProfile();

  it('is an allowlist in moby\'s format: EPERM by default', () => {
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.defaultErrnoRet).toBe(1);
    expect(p.architectures.length).toBeGreaterThan(0);
  });

  it('allows none of the refused syscalls, unconditionally or otherwise', () => {
    const allowed = p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names);
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'ptrace', 'keyctl', 'add_key', 'request_key', 'bpf',
      'perf_event_open', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'pivot_root',
      'chroot', 'userfaultfd', 'personality', 'clone3', 'io_uring_setup', 'open_by_handle_at']) {
      expect(allowed, name).not.toContain(name);
      expect(DENIED_SYSCALLS[name], name).toBeTruthy();
    }
    expect(new Set(ALLOWED_SYSCALLS).size).toBe(ALLOWED_SYSCALLS.length);
  });

  it('allows clone only without namespace flags', () => {
    const clone = p.syscalls.find((r) => r.names.includes('clone'))!;
    expect(clone.args).toEqual([{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
  });
});

/** The real engine, handed a profile it must reject. */
class BadProfileClient extends DockerodeClient {
  override create(spec: ContainerCreateSpec): Promise<string> {
    const bad = { ...spec, hostConfig: { ...spec.hostConfig, SecurityOpt: ['no-new-privileges', 'seccomp={"defaultAction":"SCMP_ACT_NOPE"}'] } };
    return super.create(bad);
  }
}

describe('canary', () => {
  it('makes the backend unavailable, with the engine\'s reason, when the profile cannot be applied', async () => {
    await requireEngine();
    const client: ContainerClient = new BadProfileClient();
    const rt = new DockerRuntime({ daemonId: `canary-${process.pid}`, client });
    await rt.start();
    const h = await rt.health();
    expect(h.available).toBe(false);
    expect(h.reason).toMatch(/cannot run hardened containers: .*seccomp|SCMP/i);
    expect(await containersOf(`canary-${process.pid}`)).toEqual([]);
    await rt.close();
  });
});
