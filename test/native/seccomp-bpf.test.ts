// The compiled seccomp program, checked instruction by instruction with a BPF interpreter, for every rule in the table.
import { describe, expect, it } from 'vitest';
import { compileSeccomp, encodeSeccomp, evalSeccomp, SECCOMP_RESULT } from '../../src/sandbox/native/seccomp-bpf.js';
import { CLONE_NAMESPACE_FLAGS, SECCOMP_RULES } from '../../src/sandbox/native/seccomp-policy.js';

const prog = compileSeccomp();
const expected = { EPERM: SECCOMP_RESULT.EPERM, ENOSYS: SECCOMP_RESULT.ENOSYS, KILL: SECCOMP_RESULT.KILL };

describe('seccomp program', () => {
  it('denies every listed syscall with its action', () => {
    for (const r of SECCOMP_RULES.filter((x) => !x.arg0AnyBits && !x.arg0AllowOnly)) {
      expect(evalSeccomp(prog, { nr: r.nr }), r.name).toBe(expected[r.action]);
    }
  });

  it('allows ordinary syscalls (read, write, openat, fork-style clone, exit_group)', () => {
    for (const nr of [0, 1, 257, 60, 231, 9, 12]) expect(evalSeccomp(prog, { nr })).toBe(SECCOMP_RESULT.ALLOW);
    expect(evalSeccomp(prog, { nr: 56, arg0: 0x01200011 })).toBe(SECCOMP_RESULT.ALLOW); // glibc fork()
    expect(evalSeccomp(prog, { nr: 56, arg0: 0x003d0f00 })).toBe(SECCOMP_RESULT.ALLOW); // pthread_create
  });

  it('denies clone with any namespace flag, one flag at a time', () => {
    for (let bit = 0; bit < 32; bit++) {
      const flag = (1 << bit) >>> 0;
      if (!(CLONE_NAMESPACE_FLAGS & flag)) continue;
      expect(evalSeccomp(prog, { nr: 56, arg0: flag | 17 }), `flag ${flag.toString(16)}`).toBe(SECCOMP_RESULT.EPERM);
    }
  });

  it('answers clone3 with ENOSYS so libc falls back to the inspectable clone', () => {
    expect(evalSeccomp(prog, { nr: 435 })).toBe(SECCOMP_RESULT.ENOSYS);
  });

  it('allows only the harmless personality values', () => {
    expect(evalSeccomp(prog, { nr: 135, arg0: 0xffffffff })).toBe(SECCOMP_RESULT.ALLOW);
    expect(evalSeccomp(prog, { nr: 135, arg0: 0 })).toBe(SECCOMP_RESULT.ALLOW);
    expect(evalSeccomp(prog, { nr: 135, arg0: 0x0040000 })).toBe(SECCOMP_RESULT.EPERM); // ADDR_NO_RANDOMIZE
  });

  it('kills foreign ABIs: i386 arch token and x32 syscall numbers', () => {
    expect(evalSeccomp(prog, { nr: 1, arch: 0x40000003 })).toBe(SECCOMP_RESULT.KILL);
    expect(evalSeccomp(prog, { nr: 0x40000000 + 101 })).toBe(SECCOMP_RESULT.KILL);
  });

  it('encodes 8 bytes per instruction, little-endian', () => {
    const buf = encodeSeccomp(prog);
    expect(buf.length).toBe(prog.length * 8);
    expect(buf.readUInt16LE(0)).toBe(0x20); // BPF_LD|BPF_W|BPF_ABS
    expect(buf.readUInt32LE(4)).toBe(4); // offsetof(seccomp_data, arch)
    expect(prog.length).toBeLessThan(200);
  });

  it('documents every rule and lists no syscall twice', () => {
    const nrs = SECCOMP_RULES.map((r) => r.nr);
    expect(new Set(nrs).size).toBe(nrs.length);
    for (const r of SECCOMP_RULES) expect(r.why.length, r.name).toBeGreaterThan(3);
  });
});
