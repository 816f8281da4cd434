// What a program needs from the filesystem besides itself: the ELF loader (PT_INTERP) or the #! interpreter.
import { closeSync, openSync, readSync } from 'node:fs';

const PT_INTERP = 3;

function readHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The interpreter path a binary or script needs inside the sandbox, or null for a static binary. */
export function interpreterOf(path: string): string | null {
  const head = readHead(path, 64 * 1024);
  if (head.subarray(0, 2).toString() === '#!') {
    const line = head.toString('utf8', 2, Math.max(2, head.indexOf(10))).trim();
    return line.split(/\s+/)[0] || null;
  }
  // 64-bit little-endian ELF only (the sandbox is x86_64): walk the program headers for PT_INTERP.
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return null;
  const phoff = Number(head.readBigUInt64LE(32));
  const phentsize = head.readUInt16LE(54);
  const phnum = head.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 56 > head.length) break;
    if (head.readUInt32LE(at) !== PT_INTERP) continue;
    const off = Number(head.readBigUInt64LE(at + 8));
    const size = Number(head.readBigUInt64LE(at + 32));
    if (off + size > head.length) return null;
    return head.toString('utf8', off, off + size).replace(/\0+$/, '');
  }
  return null;
}

/** True when `path` is one of `roots` or lies below one of them (lexically, as bwrap binds them). */
export function coveredBy(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(r.endsWith('/') ? r : `${r}/`));
}
