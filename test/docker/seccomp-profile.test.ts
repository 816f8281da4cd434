// The shipped seccomp profile: well-formed, refuses what it must, and a profile the engine rejects makes the
// backend unhealthy at start (Docker only rejects a bad profile when a container starts).
import { describe, expect, it } from 'vitest';
import { DockerodeClient } from '../../src/runtimes/docker/dockerode-client.js';
import type { ContainerClient, ContainerCreateSpec } from '../../src/runtimes/docker/container-client.js';
import { DockerRuntime } from '../../src/runtimes/docker/docker-runtime.js';
import { buildSeccompProfile } from '../../src/sandbox/docker/seccomp-profile.js';
import { ALLOWED_SYSCALLS } from '../../src/sandbox/docker/seccomp-syscalls.js';
import { syscallPolicy } from '../../src/sandbox/syscall-policy.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DockerAgentSpec } from '../../src/runtimes/docker/agent-spec.js';
import { ensureImage } from '../../src/runtimes/docker/image-builder.js';
import { containersOf, engine, LIMITS, REPO, requireEngine } from './docker-harness.js';

describe('seccomp profile', () => {
  const p = buildSeccompProfile();

  it('is an allowlist in moby\'s format: EPERM by default', () => {
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.defaultErrnoRet).toBe(1);
    expect(p.architectures.length).toBeGreaterThan(0);
  });

  it('allows none of the refused syscalls, unconditionally or otherwise', () => {
    const allowed = p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names);
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'ptrace', 'keyctl', 'add_key', 'request_key', 'bpf',
      'perf_event_open', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'pivot_root',
      'chroot', 'userfaultfd', 'personality', 'clone3', 'io_uring_setup', 'open_by_handle_at', 'modify_ldt', 'fanotify_init', 'socket', 'clone']) {
      expect(allowed, name).not.toContain(name);
      const conditional = p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(name));
      expect(conditional.every((r) => r.args?.length), name).toBe(true);
      expect(syscallPolicy().find((d) => d.name === name)?.why, name).toBeTruthy();
    }
    expect(new Set(ALLOWED_SYSCALLS).size).toBe(ALLOWED_SYSCALLS.length);
  });

  it('allows clone only without namespace flags', () => {
    const clone = p.syscalls.filter((r) => r.names.includes('clone'));
    expect(clone).toHaveLength(1);
    expect(clone[0].args).toEqual([{ index: 0, value: 0x7e020080, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
  });

  it('allows socket only for AF_UNIX, and AF_INET/AF_INET6 only with egress', () => {
    const families = (q = p) => q.syscalls.filter((r) => r.names.includes('socket')).map((r) => r.args![0].value).sort((a, b) => a - b);
    expect(families()).toEqual([1]);
    expect(families(buildSeccompProfile({ inet: true }))).toEqual([1, 2, 10]);
  });
});

describe('socket families in a real container', () => {
  it('opens AF_UNIX and refuses vsock, netlink-route, packet, inet, inet6 and a TIPC socketpair with EPERM', async () => {
    await requireEngine();
    const image = 'ari-conformance/contain:3'; // fixtures/conformance/docker-contain: the static probe of fixtures/agents/native
    await ensureImage(image, join(REPO, 'fixtures/conformance/docker-contain'), () => {}, engine);
    const manifest = JSON.parse(readFileSync(join(REPO, 'fixtures/agents/native/manifest.json'), 'utf8')) as DockerAgentSpec['manifest'];
    const agent: DockerAgentSpec = { id: 'contain-docker', runtime: 'docker', manifest, limits: {}, env: {}, image, command: ['/contain'], pool: 0, baseDir: REPO };
    const rt = new DockerRuntime({ daemonId: `sockets-${process.pid}` });
    await rt.start();
    try {
      const h = await rt.health();
      expect(h.available, h.reason).toBe(true);
      await rt.prepare(agent);
      const r = await rt.execute(agent, { taskId: `sockets-${process.pid}`, agentId: agent.id, capability: 'run', input: { mode: 'sockets' }, limits: LIMITS }, new AbortController().signal);
      expect(r.status, r.error?.message).toBe('COMPLETED');
      expect(r.output).toEqual({ unix: 0, inet: 1, inet6: 1, netlink_route: 1, packet: 1, vsock: 1, pair_unix: 0, pair_tipc: 1 });
    } finally {
      await rt.close();
    }
  }, 120_000);
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
