// Compiles the seccomp deny list into a classic BPF program (struct sock_filter[]) for `bwrap --seccomp FD`.
import { SECCOMP_RULES, type SeccompAction, type SeccompRule } from './seccomp-policy.js';

/** BPF opcodes (linux/filter.h) and seccomp constants (linux/seccomp.h, linux/audit.h). */
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;
const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const AUDIT_ARCH_X86_64 = 0xc000003e;
/** x32 syscalls share the x86_64 arch token but have this bit set in the number. */
const X32_SYSCALL_BIT = 0x40000000;
/** Offsets in struct seccomp_data: nr, arch, instruction_pointer, args[6] (little-endian low word first). */
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0_LO = 16;
const EPERM = 1;
const ENOSYS = 38;

export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const stmt = (code: number, k: number): BpfInsn => ({ code, jt: 0, jf: 0, k });
const jump = (code: number, k: number, jt: number, jf: number): BpfInsn => ({ code, jt, jf, k });

export function actionValue(a: SeccompAction): number {
  if (a === 'KILL') return SECCOMP_RET_KILL_PROCESS;
  return SECCOMP_RET_ERRNO | (a === 'EPERM' ? EPERM : ENOSYS);
}

/** One rule's block, entered with the syscall number in A; falls through to the next block when it does not apply. */
function ruleBlock(r: SeccompRule): BpfInsn[] {
  const deny = stmt(BPF_RET_K, actionValue(r.action));
  if (r.arg0AnyBits !== undefined) {
    // nr? → load arg0 → any flag bit? deny : allow (A no longer holds nr, so the block must end in a return).
    return [jump(BPF_JEQ_K, r.nr, 0, 4), stmt(BPF_LD_W_ABS, OFF_ARG0_LO), jump(BPF_JSET_K, r.arg0AnyBits, 0, 1), deny, stmt(BPF_RET_K, SECCOMP_RET_ALLOW)];
  }
  if (r.arg0AllowOnly) {
    const n = r.arg0AllowOnly.length;
    const checks = r.arg0AllowOnly.map((v, i) => jump(BPF_JEQ_K, v, n - i, 0));
    return [jump(BPF_JEQ_K, r.nr, 0, n + 3), stmt(BPF_LD_W_ABS, OFF_ARG0_LO), ...checks, deny, stmt(BPF_RET_K, SECCOMP_RET_ALLOW)];
  }
  return [jump(BPF_JEQ_K, r.nr, 0, 1), deny];
}

export function compileSeccomp(rules: readonly SeccompRule[] = SECCOMP_RULES): BpfInsn[] {
  const kill = stmt(BPF_RET_K, SECCOMP_RET_KILL_PROCESS);
  const prog: BpfInsn[] = [
    stmt(BPF_LD_W_ABS, OFF_ARCH),
    jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
    kill, // another ABI (i386 via int 0x80) would use different numbers: refuse it outright
    stmt(BPF_LD_W_ABS, OFF_NR),
    jump(BPF_JGE_K, X32_SYSCALL_BIT, 0, 1),
    kill,
  ];
  for (const r of rules) prog.push(...ruleBlock(r));
  prog.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
  if (prog.length > 4096) throw new Error(`seccomp program too long: ${prog.length} instructions`);
  return prog;
}

/** The program as the kernel reads it: 8 bytes per instruction (u16 code, u8 jt, u8 jf, u32 k), little-endian. */
export function encodeSeccomp(prog: readonly BpfInsn[]): Buffer {
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}

/** Runs the program on one syscall, as the kernel would: for unit tests of the compiled filter. */
export function evalSeccomp(prog: readonly BpfInsn[], data: { nr: number; arch?: number; arg0?: number }): number {
  const word = (off: number): number => (off === OFF_NR ? data.nr : off === OFF_ARCH ? (data.arch ?? AUDIT_ARCH_X86_64) : off === OFF_ARG0_LO ? (data.arg0 ?? 0) >>> 0 : 0);
  let a = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc];
    if (code === BPF_LD_W_ABS) a = word(k);
    else if (code === BPF_RET_K) return k >>> 0;
    else if (code === BPF_JEQ_K) pc += a >>> 0 === k >>> 0 ? jt : jf;
    else if (code === BPF_JGE_K) pc += a >>> 0 >= k >>> 0 ? jt : jf;
    else if (code === BPF_JSET_K) pc += (a & k) !== 0 ? jt : jf;
    else throw new Error(`unknown opcode ${code}`);
  }
  throw new Error('fell off the end of the program');
}

export const SECCOMP_RESULT = { ALLOW: SECCOMP_RET_ALLOW, KILL: SECCOMP_RET_KILL_PROCESS, EPERM: SECCOMP_RET_ERRNO | EPERM, ENOSYS: SECCOMP_RET_ERRNO | ENOSYS };
