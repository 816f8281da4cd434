// The Docker sandbox's seccomp policy as data: the syscalls an agent may make, and the ones it is refused (and why).
// Same shape of thinking as the moby default profile (allowlist, EPERM otherwise), but written for agents: no
// namespace, mount, keyring, tracing, module or kernel-tuning calls, and nothing gated on capabilities we drop.

/** Plain I/O, filesystem (the root is read-only and the user is nobody: the kernel does the rest). */
const FILES = [
  'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'pwritev', 'preadv2', 'pwritev2',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'lseek', 'dup', 'dup2', 'dup3', 'pipe', 'pipe2',
  'fcntl', 'flock', 'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'truncate', 'ftruncate',
  'fallocate', 'fadvise64', 'readahead', 'sendfile', 'splice', 'tee', 'vmsplice', 'copy_file_range', 'ioctl',
  'stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'statfs', 'fstatfs', 'access', 'faccessat', 'faccessat2',
  'getdents', 'getdents64', 'getcwd', 'chdir', 'fchdir', 'rename', 'renameat', 'renameat2', 'mkdir', 'mkdirat',
  'rmdir', 'link', 'linkat', 'unlink', 'unlinkat', 'symlink', 'symlinkat', 'readlink', 'readlinkat',
  'chmod', 'fchmod', 'fchmodat', 'chown', 'fchown', 'lchown', 'fchownat', 'umask', 'utime', 'utimes',
  'utimensat', 'futimesat', 'getxattr', 'lgetxattr', 'fgetxattr', 'listxattr', 'llistxattr', 'flistxattr',
  'setxattr', 'lsetxattr', 'fsetxattr', 'removexattr', 'lremovexattr', 'fremovexattr',
  'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'memfd_create',
  'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'timerfd_settime', 'timerfd_gettime',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2',
  'poll', 'ppoll', 'select', 'pselect6', 'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents',
];

const MEMORY_AND_IPC = [
  'brk', 'mmap', 'munmap', 'mremap', 'mprotect', 'madvise', 'mlock', 'mlock2', 'munlock', 'mlockall',
  'munlockall', 'mincore', 'msync', 'membarrier', 'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'remap_file_pages',
  'shmget', 'shmat', 'shmdt', 'shmctl', 'semget', 'semop', 'semtimedop', 'semctl',
  'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive',
  'mq_notify', 'mq_getsetattr',
];

/** Processes, threads, signals, time. `clone` is allowed only without namespace flags (see the profile). */
const PROCESSES = [
  'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'kill', 'tkill', 'tgkill',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups',
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setgroups', 'setfsuid', 'setfsgid',
  'capget', 'capset', 'prctl', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'get_robust_list',
  'set_thread_area', 'get_thread_area', 'futex', 'futex_waitv', 'rseq', 'seccomp',
  'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getparam', 'sched_setparam',
  'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min',
  'sched_rr_get_interval', 'sched_getattr', 'sched_setattr', 'getpriority', 'setpriority', 'ioprio_get',
  'ioprio_set', 'getcpu', 'getrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'times', 'uname', 'sysinfo',
  'getrandom', 'restart_syscall', 'pause', 'nanosleep', 'clock_nanosleep', 'clock_gettime', 'clock_getres',
  'gettimeofday', 'time', 'alarm', 'getitimer', 'setitimer', 'timer_create', 'timer_settime', 'timer_gettime',
  'timer_getoverrun', 'timer_delete', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigpending', 'rt_sigtimedwait', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'sigaltstack',
  'pidfd_open', 'pidfd_send_signal',
];

/** Sockets: harmless with NetworkMode none (only loopback and unix sockets exist). */
const SOCKETS = [
  'socket', 'socketpair', 'bind', 'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername',
  'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown', 'setsockopt', 'getsockopt',
];

export const ALLOWED_SYSCALLS: readonly string[] = [...FILES, ...MEMORY_AND_IPC, ...PROCESSES, ...SOCKETS];

/**
 * Refused explicitly (they are also absent from the allowlist, so they get EPERM either way); listed so the
 * profile documents intent and tests can check none of them slipped into the allowlist.
 */
export const DENIED_SYSCALLS: Readonly<Record<string, string>> = {
  mount: 'change the filesystem view', umount2: 'remove masks over /proc and /sys', pivot_root: 'change the root',
  chroot: 'change the root', open_tree: 'new mount API', move_mount: 'new mount API', fsopen: 'new mount API',
  fsconfig: 'new mount API', fsmount: 'new mount API', fspick: 'new mount API', mount_setattr: 'new mount API',
  unshare: 'new namespaces: the route to most kernel attack surface', setns: 'join other namespaces',
  clone3: 'flags live in memory seccomp cannot read (answered ENOSYS so libc falls back to clone)',
  ptrace: 'inspect or control other processes', process_vm_readv: 'read another process\'s memory',
  process_vm_writev: 'write another process\'s memory', kcmp: 'compare kernel objects (info leak)',
  pidfd_getfd: 'steal another process\'s file descriptors',
  keyctl: 'kernel keyrings are not namespaced', add_key: 'kernel keyrings', request_key: 'kernel keyrings',
  bpf: 'eBPF: large kernel attack surface', perf_event_open: 'side channels, kernel attack surface',
  userfaultfd: 'makes kernel races easy to win', io_uring_setup: 'bypasses syscall filtering',
  io_uring_enter: 'io_uring', io_uring_register: 'io_uring',
  kexec_load: 'replace the kernel', kexec_file_load: 'replace the kernel', init_module: 'load kernel code',
  finit_module: 'load kernel code', delete_module: 'unload kernel code', personality: 'change the ABI (ASLR off)',
  reboot: 'host power state', swapon: 'host swap', swapoff: 'host swap', acct: 'host process accounting',
  quotactl: 'host quotas', syslog: 'kernel log (address leaks)', settimeofday: 'host clock',
  clock_settime: 'host clock', clock_adjtime: 'host clock', adjtimex: 'host clock', sethostname: 'fixed',
  setdomainname: 'fixed', iopl: 'raw port I/O', ioperm: 'raw port I/O', modify_ldt: 'old exploit vector',
  open_by_handle_at: 'opens files bypassing the mount view ("shocker")', name_to_handle_at: 'pairs with open_by_handle_at',
  lookup_dcookie: 'kernel internals', fanotify_init: 'watch the whole filesystem', mbind: 'NUMA policy of the host',
  set_mempolicy: 'NUMA policy', migrate_pages: 'move other processes\' pages', move_pages: 'move pages',
  vhangup: 'terminal control', uselib: 'obsolete', ustat: 'obsolete', sysfs: 'obsolete', _sysctl: 'obsolete',
};

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET: clone with any of them is refused. */
export const CLONE_NAMESPACE_MASK = 0x7e020000;
