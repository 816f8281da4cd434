// The Docker sandbox's allowlist: the syscalls an agent may make unconditionally. What is refused, and why, is the
// shared policy (sandbox/syscall-policy.ts); the profile builder checks the two never overlap.

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

/** Processes, threads, signals, time. `clone` and `personality` are allowed per argument (see the shared policy). */
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

/** Socket calls on sockets an agent may have; `socket` and `socketpair` are allowed per family (sandbox/syscall-policy.ts). */
const SOCKETS = [
  'bind', 'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername',
  'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown', 'setsockopt', 'getsockopt',
];

export const ALLOWED_SYSCALLS: readonly string[] = [...FILES, ...MEMORY_AND_IPC, ...PROCESSES, ...SOCKETS];
