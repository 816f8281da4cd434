// The one syscall policy of every process sandbox (native BPF and the Docker profile): each refused call, why, and its answer.
// Both outputs are generated from this table (native: sandbox/native/seccomp-bpf.ts, Docker: sandbox/docker/seccomp-profile.ts).

/**
 * What a refused call returns. EPERM tells the agent "not allowed" (hostile fixtures report it); ENOSYS makes
 * libc fall back (clone3 → clone, whose flags seccomp can read: clone3 passes them in memory).
 */
export type DenyAnswer = 'EPERM' | 'ENOSYS';

export interface SyscallDeny {
  name: string;
  /** x86_64 number (the native filter matches numbers; the Docker profile names). */
  nr: number;
  why: string;
  answer: DenyAnswer;
  /** Refused only when the low 32 bits of arg0 have any of these bits set (clone's namespace flags). */
  arg0AnyBits?: number;
  /** Refused unless arg0 is one of these values (socket families, harmless personality queries). */
  arg0AllowOnly?: readonly number[];
}

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME. */
export const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

/**
 * Families refused by name, for the record (everything but the allowed ones is refused). vsock ignores network
 * namespaces (on a VM host it reaches the hypervisor and other guests' sandboxes); netlink configures the host
 * (route, xfrm, netfilter, audit …) and is kernel attack surface; packet sockets forge and sniff frames.
 */
export const REFUSED_FAMILIES: Readonly<Record<string, number>> = {
  AF_NETLINK: 16, AF_PACKET: 17, AF_VSOCK: 40, AF_KEY: 15, AF_BLUETOOTH: 31, AF_ALG: 38, AF_XDP: 44, AF_TIPC: 30, AF_RDS: 21, AF_CAN: 29,
};

export interface SyscallPolicyOptions {
  /** Allow AF_INET/AF_INET6 sockets (only when an egress policy asks for them; default off). */
  inet?: boolean;
}

/** Socket families an agent may open. */
export function allowedFamilies(opts: SyscallPolicyOptions = {}): number[] {
  return opts.inet ? [AF_UNIX, AF_INET, AF_INET6] : [AF_UNIX];
}

const deny = (name: string, nr: number, why: string, answer: DenyAnswer = 'EPERM'): SyscallDeny => ({ name, nr, why, answer });

const UNCONDITIONAL: readonly SyscallDeny[] = [
  deny('ptrace', 101, 'inspect or control other processes'),
  deny('process_vm_readv', 310, 'read another process\'s memory'),
  deny('process_vm_writev', 311, 'write another process\'s memory'),
  deny('kcmp', 312, 'compare kernel objects of other processes (info leak)'),
  deny('pidfd_getfd', 438, 'steal another process\'s file descriptors'),
  deny('mount', 165, 'change the filesystem view'),
  deny('umount2', 166, 'remove the masks over the host filesystem'),
  deny('pivot_root', 155, 'change the root'),
  deny('chroot', 161, 'change the root'),
  deny('open_tree', 428, 'new mount API'),
  deny('move_mount', 429, 'new mount API'),
  deny('fsopen', 430, 'new mount API'),
  deny('fsconfig', 431, 'new mount API'),
  deny('fsmount', 432, 'new mount API'),
  deny('fspick', 433, 'new mount API'),
  deny('mount_setattr', 442, 'new mount API'),
  deny('unshare', 272, 'new namespaces: the route to most kernel attack surface'),
  deny('setns', 308, 'join other namespaces'),
  deny('clone3', 435, 'flags live in memory seccomp cannot read; ENOSYS makes libc fall back to clone', 'ENOSYS'),
  deny('keyctl', 250, 'kernel keyrings are not namespaced'),
  deny('add_key', 248, 'kernel keyrings are not namespaced'),
  deny('request_key', 249, 'kernel keyrings are not namespaced'),
  deny('bpf', 321, 'eBPF: large kernel attack surface'),
  deny('perf_event_open', 298, 'performance counters: side channels, kernel attack surface'),
  deny('userfaultfd', 323, 'makes kernel races easy to win'),
  deny('io_uring_setup', 425, 'io_uring: large attack surface, bypasses syscall filtering'),
  deny('io_uring_enter', 426, 'io_uring'),
  deny('io_uring_register', 427, 'io_uring'),
  deny('kexec_load', 246, 'replace the kernel'),
  deny('kexec_file_load', 320, 'replace the kernel'),
  deny('init_module', 175, 'load kernel code'),
  deny('finit_module', 313, 'load kernel code'),
  deny('delete_module', 176, 'unload kernel code'),
  deny('reboot', 169, 'host power state'),
  deny('swapon', 167, 'host swap'),
  deny('swapoff', 168, 'host swap'),
  deny('acct', 163, 'host process accounting'),
  deny('quotactl', 179, 'host quotas'),
  deny('syslog', 103, 'kernel log (address leaks)'),
  deny('settimeofday', 164, 'host clock'),
  deny('clock_settime', 227, 'host clock'),
  deny('clock_adjtime', 305, 'host clock'),
  deny('adjtimex', 159, 'host clock'),
  deny('sethostname', 170, 'hostname is fixed'),
  deny('setdomainname', 171, 'domain name is fixed'),
  deny('iopl', 172, 'raw port I/O'),
  deny('ioperm', 173, 'raw port I/O'),
  deny('modify_ldt', 154, 'local descriptor tables: an old exploit vector, never needed by agents'),
  deny('fanotify_init', 300, 'watch (and block) file access across the whole mount'),
  deny('open_by_handle_at', 304, 'opens files by handle, bypassing the mount view (the "shocker" escape)'),
  deny('name_to_handle_at', 303, 'pairs with open_by_handle_at'),
  deny('lookup_dcookie', 212, 'kernel internals'),
  deny('mbind', 237, 'NUMA memory policy of the host'),
  deny('set_mempolicy', 238, 'NUMA memory policy of the host'),
  deny('migrate_pages', 256, 'move other processes\' pages between nodes'),
  deny('move_pages', 279, 'move other processes\' pages between nodes'),
  deny('vhangup', 153, 'terminal control'),
  deny('uselib', 134, 'obsolete loader call'),
  deny('ustat', 136, 'obsolete'),
  deny('sysfs', 139, 'obsolete'),
  deny('_sysctl', 156, 'obsolete'),
];

/** The whole policy: every call refused outright, or refused for some argument values. */
export function syscallPolicy(opts: SyscallPolicyOptions = {}): readonly SyscallDeny[] {
  return [
    ...UNCONDITIONAL,
    { name: 'clone', nr: 56, answer: 'EPERM', why: 'clone with CLONE_NEW* creates namespaces', arg0AnyBits: CLONE_NAMESPACE_FLAGS },
    {
      name: 'personality', nr: 135, answer: 'EPERM', why: 'execution domains disable ASLR etc.; allow only the queries glibc makes',
      arg0AllowOnly: [0x0, 0x8, 0x20000, 0x20008, 0xffffffff],
    },
    {
      name: 'socket', nr: 41, answer: 'EPERM', arg0AllowOnly: allowedFamilies(opts),
      why: 'only AF_UNIX (AF_INET/6 under an egress policy): vsock crosses network namespaces, netlink configures the host, packet sockets forge frames',
    },
    {
      name: 'socketpair', nr: 53, answer: 'EPERM', arg0AllowOnly: [AF_UNIX],
      why: 'only AF_UNIX: any other family (e.g. AF_TIPC) makes the kernel autoload that protocol\'s module for the agent',
    },
  ];
}
