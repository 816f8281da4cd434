// One policy, two outputs: the native BPF filter and the Docker profile refuse exactly the table's calls, for the same arguments.
import { describe, expect, it } from 'vitest';
import { buildSeccompProfile, type SeccompProfile } from '../../src/sandbox/docker/seccomp-profile.js';
import { compileSeccomp, evalSeccomp, SECCOMP_RESULT } from '../../src/sandbox/native/seccomp-bpf.js';
import { seccompRules } from '../../src/sandbox/native/seccomp-policy.js';
import { AF_INET, AF_INET6, AF_UNIX, CLONE_NAMESPACE_FLAGS, REFUSED_FAMILIES, syscallPolicy } from '../../src/sandbox/syscall-policy.js';

/** What runc/libseccomp would answer for one call under a profile: 'ALLOW' or the errno. */
function dockerAnswer(p: SeccompProfile, name: string, arg0: number): 'ALLOW' | number {
  const matching = p.syscalls.filter((r) => r.names.includes(name) && (r.args ?? []).every((a) => {
    if (a.op === 'SCMP_CMP_EQ') return arg0 === a.value;
    if (a.op === 'SCMP_CMP_MASKED_EQ') return ((arg0 & a.value) >>> 0) === a.valueTwo;
    throw new Error(`op ${a.op} not modelled`);
  }));
  if (matching.some((r) => r.action === 'SCMP_ACT_ALLOW')) return 'ALLOW';
  const errno = matching.find((r) => r.action === 'SCMP_ACT_ERRNO');
  return errno ? errno.errnoRet! : p.defaultErrnoRet;
}

function nativeAnswer(prog: ReturnType<typeof compileSeccomp>, nr: number, arg0: number): 'ALLOW' | number {
  const r = evalSeccomp(prog, { nr, arg0 });
  return r === SECCOMP_RESULT.ALLOW ? 'ALLOW' : r & 0xffff;
}

/** Argument values that exercise every entry: plain, each allowed value, each refused family, each namespace flag. */
const FAMILIES = [AF_UNIX, AF_INET, AF_INET6, ...Object.values(REFUSED_FAMILIES)];
const ARGS = [0, 17, 0x01200011, 0x003d0f00, 0x0040000, 0x8, 0x20000, 0xffffffff, ...FAMILIES,
  ...Array.from({ length: 32 }, (_, b) => (1 << b) >>> 0).filter((f) => CLONE_NAMESPACE_FLAGS & f).map((f) => (f | 17) >>> 0)];

describe.each([{ inet: false }, { inet: true }])('syscall policy parity (egress %o)', (opts) => {
  const policy = syscallPolicy(opts);
  const prog = compileSeccomp(seccompRules(opts));
  const profile = buildSeccompProfile(opts);

  it('every table entry gets the same answer from both backends, for every argument tried', () => {
    for (const d of policy) {
      for (const arg0 of ARGS) expect(nativeAnswer(prog, d.nr, arg0), `${d.name}(${arg0.toString(16)})`).toEqual(dockerAnswer(profile, d.name, arg0));
      expect(d.why.length, d.name).toBeGreaterThan(3);
    }
  });

  it('the native filter refuses nothing outside the table (scan of every syscall number)', () => {
    const listed = new Set(policy.map((d) => d.nr));
    for (let nr = 0; nr < 512; nr++) {
      if (listed.has(nr)) continue;
      for (const arg0 of [0, 1, 0xffffffff]) expect(nativeAnswer(prog, nr, arg0), `nr ${nr}`).toBe('ALLOW');
    }
    expect(new Set(policy.map((d) => d.name)).size).toBe(policy.length);
    expect(listed.size).toBe(policy.length);
  });

  it('socket families: only AF_UNIX (and AF_INET/6 with egress); vsock, netlink and packet refused on both', () => {
    const allowed = opts.inet ? [AF_UNIX, AF_INET, AF_INET6] : [AF_UNIX];
    for (const fam of FAMILIES) {
      const want = allowed.includes(fam) ? 'ALLOW' : 1;
      expect(nativeAnswer(prog, 41, fam), `native family ${fam}`).toBe(want);
      expect(dockerAnswer(profile, 'socket', fam), `docker family ${fam}`).toBe(want);
      const pair = fam === AF_UNIX ? 'ALLOW' : 1; // socketpair: AF_UNIX only, egress or not
      expect(nativeAnswer(prog, 53, fam), `native socketpair ${fam}`).toBe(pair);
      expect(dockerAnswer(profile, 'socketpair', fam), `docker socketpair ${fam}`).toBe(pair);
    }
  });

  it('modify_ldt and fanotify_init are refused on native as on Docker', () => {
    for (const [name, nr] of [['modify_ldt', 154], ['fanotify_init', 300]] as const) {
      expect(nativeAnswer(prog, nr, 0)).toBe(1);
      expect(dockerAnswer(profile, name, 0)).toBe(1);
    }
  });
});
