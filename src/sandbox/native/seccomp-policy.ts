// The native sandbox's seccomp deny list as data: each syscall an agent must not make, why, and the answer it gets.

/**
 * What a denied syscall returns. EPERM tells the agent "not allowed" (so hostile fixtures can report it);
 * ENOSYS makes libc fall back (clone3 → clone, whose flags we can inspect: clone3 passes them in memory,
 * which seccomp cannot read). KILL (end the process) is reserved for a foreign syscall ABI (see seccomp-bpf.ts):
 * for listed calls an errno keeps the agent's own error handling in charge and lets the fixtures report it.
 */
export type SeccompAction = 'EPERM' | 'ENOSYS' | 'KILL';

export interface SeccompRule {
  name: string;
  /** x86_64 syscall number. */
  nr: number;
  action: SeccompAction;
  why: string;
  /** Deny only when the low 32 bits of arg0 have any of these bits set (clone's namespace flags). */
  arg0AnyBits?: number;
  /** Deny unless arg0 is one of these values (personality: allow the harmless queries glibc makes). */
  arg0AllowOnly?: number[];
}

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME. */
export const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

const rule = (name: string, nr: number, why: string, action: SeccompAction = 'EPERM'): SeccompRule => ({ name, nr, action, why });

export const SECCOMP_RULES: readonly SeccompRule[] = [
  rule('ptrace', 101, 'inspect or control other processes'),
  rule('process_vm_readv', 310, 'read another process\'s memory'),
  rule('process_vm_writev', 311, 'write another process\'s memory'),
  rule('kcmp', 312, 'compare kernel objects of other processes (info leak)'),
  rule('mount', 165, 'change the filesystem view'),
  rule('umount2', 166, 'remove the masks over the host filesystem'),
  rule('pivot_root', 155, 'change the root'),
  rule('chroot', 161, 'change the root'),
  rule('open_tree', 428, 'new mount API'),
  rule('move_mount', 429, 'new mount API'),
  rule('fsopen', 430, 'new mount API'),
  rule('fsconfig', 431, 'new mount API'),
  rule('fsmount', 432, 'new mount API'),
  rule('fspick', 433, 'new mount API'),
  rule('mount_setattr', 442, 'new mount API'),
  rule('unshare', 272, 'new namespaces: the route to most kernel attack surface'),
  rule('setns', 308, 'join other namespaces'),
  { name: 'clone', nr: 56, action: 'EPERM', why: 'clone with CLONE_NEW* creates namespaces', arg0AnyBits: CLONE_NAMESPACE_FLAGS },
  rule('clone3', 435, 'flags live in memory seccomp cannot read; ENOSYS makes libc fall back to clone', 'ENOSYS'),
  rule('keyctl', 250, 'kernel keyrings are not namespaced'),
  rule('add_key', 248, 'kernel keyrings are not namespaced'),
  rule('request_key', 249, 'kernel keyrings are not namespaced'),
  rule('bpf', 321, 'eBPF: large kernel attack surface'),
  rule('perf_event_open', 298, 'performance counters: side channels, kernel attack surface'),
  rule('userfaultfd', 323, 'makes kernel races easy to win'),
  rule('io_uring_setup', 425, 'io_uring: large attack surface, bypasses syscall filtering'),
  rule('io_uring_enter', 426, 'io_uring'),
  rule('io_uring_register', 427, 'io_uring'),
  rule('kexec_load', 246, 'replace the kernel'),
  rule('kexec_file_load', 320, 'replace the kernel'),
  rule('init_module', 175, 'load kernel code'),
  rule('finit_module', 313, 'load kernel code'),
  rule('delete_module', 176, 'unload kernel code'),
  rule('reboot', 169, 'host power state'),
  rule('swapon', 167, 'host swap'),
  rule('swapoff', 168, 'host swap'),
  rule('acct', 163, 'host process accounting'),
  rule('quotactl', 179, 'host quotas'),
  rule('syslog', 103, 'kernel log (address leaks)'),
  rule('settimeofday', 164, 'host clock'),
  rule('clock_settime', 227, 'host clock'),
  rule('clock_adjtime', 305, 'host clock'),
  rule('adjtimex', 159, 'host clock'),
  rule('sethostname', 170, 'hostname is fixed'),
  rule('setdomainname', 171, 'domain name is fixed'),
  rule('iopl', 172, 'raw port I/O'),
  rule('ioperm', 173, 'raw port I/O'),
  rule('open_by_handle_at', 304, 'opens files by handle, bypassing the mount view (the "shocker" escape)'),
  rule('name_to_handle_at', 303, 'pairs with open_by_handle_at'),
  rule('lookup_dcookie', 212, 'kernel internals'),
  rule('vhangup', 153, 'terminal control'),
  rule('uselib', 134, 'obsolete loader call'),
  rule('ustat', 136, 'obsolete'),
  rule('sysfs', 139, 'obsolete'),
  rule('_sysctl', 156, 'obsolete'),
  { name: 'personality', nr: 135, action: 'EPERM', why: 'execution domains disable ASLR etc.; allow only the queries glibc makes', arg0AllowOnly: [0x0, 0x8, 0x20000, 0x20008, 0xffffffff] },
];
