// The sandbox argv: the measured recipe's order and flags, the minimal filesystem view, and the rlimits it carries.
import { describe, expect, it } from 'vitest';
import { prlimitArgs, rlimitsFor } from '../../src/sandbox/native/rlimits.js';
import { bwrapArgs, sandboxCommand, type SandboxSpec } from '../../src/sandbox/native/sandbox-command.js';

const tools = { sh: '/bin/sh', bash: '/bin/bash', setpriv: '/usr/bin/setpriv', prlimit: '/usr/bin/prlimit', bwrap: '/usr/bin/bwrap' };
const spec: SandboxSpec = {
  command: ['/opt/agent/bin', '--flag'],
  binds: ['/opt/data'],
  env: { LANG: 'C' },
  uid: 2000001,
  rlimits: rlimitsFor({ cpuMillis: 1500, pids: 16 }, { fsizeBytes: 1 << 20 }),
  tmpfsBytes: 1 << 24,
  cgroupProcs: ['/sys/fs/cgroup/memory/x/cgroup.procs', '/sys/fs/cgroup/pids/x/cgroup.procs'],
  seccompFd: 3,
  statusFd: 4,
};

describe('sandbox command', () => {
  const { file, args } = sandboxCommand(tools, spec);
  const argv = [file, ...args];
  const at = (s: string, from = 0): number => argv.indexOf(s, from);

  it('closes inherited descriptors and joins the cgroups first, as root, then execs the chain', () => {
    expect(file).toBe('/bin/bash');
    expect(args.slice(0, 3)).toEqual(['--norc', '--noprofile', '-c']);
    expect(args[3]).toMatch(/^for f in \/proc\/\$\$\/fd\/\*; .*case \$f in 0\|1\|2\|3\|4\) ;; \*\) eval "exec \$f>&-"/);
    expect(args[3]).toMatch(/echo \$\$ > "\$1"/);
    expect(at('/sys/fs/cgroup/memory/x/cgroup.procs')).toBeLessThan(at('/usr/bin/setpriv'));
  });

  it('changes uid and sets pdeathsig on the same setpriv, before prlimit and bwrap', () => {
    const sp = at('/usr/bin/setpriv');
    const pl = at('/usr/bin/prlimit');
    const bw = at('/usr/bin/bwrap');
    expect(sp).toBeLessThan(pl);
    expect(pl).toBeLessThan(bw);
    const setprivArgs = argv.slice(sp, pl);
    expect(setprivArgs).toEqual(expect.arrayContaining(['--reuid', '2000001', '--regid', '2000001', '--clear-groups', '--pdeathsig', 'KILL']));
  });

  it('carries the rlimits: CPU soft+hard, NOFILE, FSIZE, NPROC, CORE=0', () => {
    expect(prlimitArgs(spec.rlimits)).toEqual(['--cpu=2:3', '--nofile=256:256', `--fsize=${1 << 20}:${1 << 20}`, '--nproc=18:18', '--core=0:0']);
    expect(argv).toEqual(expect.arrayContaining(prlimitArgs(spec.rlimits)));
  });

  it('builds the namespaces and hardening flags of the recipe', () => {
    const b = bwrapArgs(spec);
    for (const f of ['--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session', '--as-pid-1', '--clearenv']) {
      expect(b, f).toContain(f);
    }
    expect(b.join(' ')).toContain('--cap-drop ALL');
    expect(b.join(' ')).toContain('--hostname ari');
    expect(b.join(' ')).toContain('--seccomp 3');
    expect(b.join(' ')).toContain('--json-status-fd 4');
    expect(b.join(' ')).toContain('--setenv LANG C');
  });

  it('binds only the agent binary and declared paths, read-only, never the host root', () => {
    const b = bwrapArgs(spec);
    const binds = b.flatMap((a, i) => (a === '--ro-bind' || a === '--bind' ? [b[i + 1]] : []));
    expect(binds).toEqual(['/opt/agent/bin', '/opt/data']);
    expect(b).not.toContain('--bind');
    expect(b.join(' ')).toContain(`--size ${1 << 24} --tmpfs /tmp`);
    // remounts come after every mount, so they cover what was mounted
    const lastMount = Math.max(b.lastIndexOf('--tmpfs'), b.lastIndexOf('--ro-bind'), b.lastIndexOf('--dev'), b.lastIndexOf('--proc'));
    expect(b.indexOf('--remount-ro')).toBeGreaterThan(lastMount);
    expect(b.join(' ')).toContain('--remount-ro /dev');
    expect(b.join(' ')).toContain('--remount-ro /');
  });

  it('ends with the agent argv after --', () => {
    expect(argv.slice(-3)).toEqual(['--', '/opt/agent/bin', '--flag']);
  });

  it('derives rlimits from the task limits', () => {
    expect(rlimitsFor({ cpuMillis: 1, pids: 1 })).toMatchObject({ cpuSoft: 1, cpuHard: 2, nproc: 3, core: 0 });
    expect(rlimitsFor({ cpuMillis: 10_001, pids: 64 })).toMatchObject({ cpuSoft: 11, cpuHard: 12, nproc: 66 });
  });
});
