// Generates the Docker seccomp profile (moby's JSON format): our allowlist plus the shared policy's refusals; it replaces Docker's default.
import { arch } from 'node:process';
import { syscallPolicy, type SyscallDeny, type SyscallPolicyOptions } from '../syscall-policy.js';
import { ALLOWED_SYSCALLS } from './seccomp-syscalls.js';

const ERRNO = { EPERM: 1, ENOSYS: 38 } as const;

export interface SeccompArg { index: number; value: number; valueTwo: number; op: string }
export interface SeccompProfileRule { names: string[]; action: string; args?: SeccompArg[]; errnoRet?: number; comment?: string }
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: SeccompProfileRule[];
}

/**
 * Only the host's native ABI: 32-bit and x32 syscalls are refused wholesale rather than filtered twice.
 * Names the kernel/libseccomp does not know for an architecture are skipped by runc.
 */
function architectures(): string[] {
  if (arch === 'arm64') return ['SCMP_ARCH_AARCH64'];
  return ['SCMP_ARCH_X86_64'];
}

/**
 * One policy entry as profile rules. A conditional entry becomes ALLOW rules for the permitted arguments (several
 * args in one rule are ANDed, so each permitted value is a rule of its own); the rest falls to the default EPERM.
 */
function rulesFor(d: SyscallDeny): SeccompProfileRule[] {
  if (d.arg0AnyBits !== undefined) {
    // MASKED_EQ: allowed when (arg0 & mask) == 0, i.e. none of the refused bits is set.
    return [{ names: [d.name], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: d.arg0AnyBits, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], comment: d.why }];
  }
  if (d.arg0AllowOnly) {
    return d.arg0AllowOnly.map((v) => ({ names: [d.name], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: v, valueTwo: 0, op: 'SCMP_CMP_EQ' }], comment: d.why }));
  }
  return [{ names: [d.name], action: 'SCMP_ACT_ERRNO', errnoRet: ERRNO[d.answer], comment: d.why }];
}

export function buildSeccompProfile(opts: SyscallPolicyOptions = {}): SeccompProfile {
  const policy = syscallPolicy(opts);
  const refused = new Set(policy.map((d) => d.name));
  const leaked = ALLOWED_SYSCALLS.filter((n) => refused.has(n));
  if (leaked.length) throw new Error(`seccomp allowlist contains syscalls the policy refuses or filters: ${leaked.join(', ')}`);
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: ERRNO.EPERM,
    architectures: architectures(),
    syscalls: [{ names: [...ALLOWED_SYSCALLS].sort(), action: 'SCMP_ACT_ALLOW' }, ...policy.flatMap(rulesFor)],
  };
}

const cached = new Map<boolean, string>();

/** The profile as the JSON string Docker takes in `SecurityOpt: ['seccomp=' + json]`. */
export function seccompProfileJson(opts: SyscallPolicyOptions = {}): string {
  const inet = !!opts.inet;
  let json = cached.get(inet);
  if (!json) cached.set(inet, (json = JSON.stringify(buildSeccompProfile({ inet }))));
  return json;
}
