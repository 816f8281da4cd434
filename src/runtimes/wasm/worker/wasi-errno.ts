// WASI preview1 errno values and rights bits the shim uses.

export const ERRNO = {
  SUCCESS: 0,
  BADF: 8,
  FAULT: 21,
  INVAL: 28,
  NOSYS: 52,
  SPIPE: 70,
  NOTCAPABLE: 76,
} as const;

export const FILETYPE_CHARACTER_DEVICE = 2;
export const RIGHT_FD_READ = 1n << 1n;
export const RIGHT_FD_WRITE = 1n << 6n;
export const RIGHT_POLL_FD_READWRITE = 1n << 27n;

/** What an import the shim does not implement answers: no capability for paths and sockets, no such fd, else ENOSYS. */
export function refusalFor(name: string): number {
  if (name.startsWith('path_') || name.startsWith('sock_')) return ERRNO.NOTCAPABLE;
  if (name.startsWith('fd_')) return ERRNO.BADF;
  return ERRNO.NOSYS;
}
