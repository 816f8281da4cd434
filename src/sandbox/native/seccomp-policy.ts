// The native sandbox's seccomp rules: the shared syscall policy (sandbox/syscall-policy.ts) in the shape the BPF compiler takes.
import { syscallPolicy, type SyscallDeny, type SyscallPolicyOptions } from '../syscall-policy.js';

export { CLONE_NAMESPACE_FLAGS } from '../syscall-policy.js';

/**
 * What a denied syscall returns: the table's errno, or KILL (end the process), which is reserved for a foreign
 * syscall ABI (see seccomp-bpf.ts): for listed calls an errno keeps the agent's own error handling in charge.
 */
export type SeccompAction = 'EPERM' | 'ENOSYS' | 'KILL';

export interface SeccompRule extends Omit<SyscallDeny, 'answer'> {
  action: SeccompAction;
}

export function seccompRules(opts: SyscallPolicyOptions = {}): readonly SeccompRule[] {
  return syscallPolicy(opts).map(({ answer, ...d }) => ({ ...d, action: answer }));
}

/** The rules with no egress (AF_UNIX sockets only). */
export const SECCOMP_RULES: readonly SeccompRule[] = seccompRules();
