// Generates the Docker seccomp profile (moby's JSON format) from our allowlist; it replaces Docker's default.
import { arch } from 'node:process';
import { ALLOWED_SYSCALLS, CLONE_NAMESPACE_MASK, DENIED_SYSCALLS } from './seccomp-syscalls.js';

const EPERM = 1;
const ENOSYS = 38;

interface SeccompArg { index: number; value: number; valueTwo: number; op: string }
interface SeccompRule { names: string[]; action: string; args?: SeccompArg[]; errnoRet?: number; comment?: string }
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: SeccompRule[];
}

/**
 * Only the host's native ABI: 32-bit and x32 syscalls are refused wholesale rather than filtered twice.
 * Names the kernel/libseccomp does not know for an architecture are skipped by runc.
 */
function architectures(): string[] {
  if (arch === 'arm64') return ['SCMP_ARCH_AARCH64'];
  return ['SCMP_ARCH_X86_64'];
}

export function buildSeccompProfile(): SeccompProfile {
  const denied = new Set(Object.keys(DENIED_SYSCALLS));
  const leaked = ALLOWED_SYSCALLS.filter((n) => denied.has(n));
  if (leaked.length) throw new Error(`seccomp allowlist contains denied syscalls: ${leaked.join(', ')}`);
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: architectures(),
    syscalls: [
      { names: [...ALLOWED_SYSCALLS].sort(), action: 'SCMP_ACT_ALLOW' },
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        // MASKED_EQ: allowed when (flags & mask) == 0, i.e. no CLONE_NEW* flag is set.
        args: [{ index: 0, value: CLONE_NAMESPACE_MASK, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
        comment: 'threads and fork, never new namespaces',
      },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, comment: DENIED_SYSCALLS.clone3 },
    ],
  };
}

let cached: string | undefined;

/** The profile as the JSON string Docker takes in `SecurityOpt: ['seccomp=' + json]`. */
export function seccompProfileJson(): string {
  return (cached ??= JSON.stringify(buildSeccompProfile()));
}
