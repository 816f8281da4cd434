// WAT of hostile modules for issue 14: loops of large bulk memory operations, table bombs and iovec bombs.
import { seedModule } from './wat.js';

const MIB = 1024 * 1024;
const pagesFor = (bytes: number) => Math.ceil(bytes / 65536) + 1;

/**
 * A seed module that never ends: execute_task calls `copies` distinct functions in turn, each doing `perCall`
 * memory.fill (or memory.copy) of `mib` MiB. Many small distinct functions spend their time in the bulk operation,
 * not in wasm code, so V8 never tiers them up (the case where worker.terminate() is slowest).
 */
export function bulkLoop(op: 'fill' | 'copy', mib: number, copies = 64, perCall = 2): string {
  const n = mib * MIB;
  const body = op === 'fill'
    ? `(memory.fill (i32.const 0) (i32.const 7) (i32.const ${n}))`
    : `(memory.copy (i32.const 0) (i32.const 65536) (i32.const ${n}))`;
  const fns = Array.from({ length: copies }, (_, i) => `(func $f${i} (local $k i32)
      (loop $l ${body} (local.set $k (i32.add (local.get $k) (i32.const 1))) (br_if $l (i32.lt_u (local.get $k) (i32.const ${perCall})))))`).join('\n');
  const calls = Array.from({ length: copies }, (_, i) => `(call $f${i})`).join(' ');
  return seedModule(`(loop $forever ${calls} (br $forever))`, undefined, fns, String(pagesFor(n + 65536)));
}

/** A seed module that fills `mib` MiB `times` times, then answers: a fixed amount of bulk work. */
export function bulkFinite(mib: number, times: number): string {
  return seedModule(`(local.set $n (i32.const 0))
    (loop $l (memory.fill (i32.const 65536) (i32.const 1) (i32.const ${mib * MIB}))
      (local.set $n (i32.add (local.get $n) (i32.const 1))) (br_if $l (i32.lt_u (local.get $n) (i32.const ${times}))))`,
  undefined, '', String(pagesFor(mib * MIB + 65536)));
}

/** A seed module declaring `count` funcref tables of `entries` initial elements each (a ~KB module, GBs of tables). */
export function tableBomb(count: number, entries: number): string {
  const tables = Array.from({ length: count }, () => `(table ${entries} funcref)`).join(' ');
  return seedModule('', undefined, tables);
}

/** A seed module that grows one table by `step` elements in a loop until refused, then traps. */
export function tableGrowBomb(step: number): string {
  return seedModule(`(loop $l (br_if $l (i32.ne (table.grow $t (ref.null func) (i32.const ${step})) (i32.const -1)))) unreachable`,
    undefined, '(table $t 1 funcref)');
}

const WASI = 'wasi_snapshot_preview1';

/**
 * A WASI command calling fd_write(fd, iovs, count) in a loop with `count` iovecs, all zero-length (or `len` bytes
 * of one 64 KiB buffer each); the iovec array is built in memory first. Ends only when the host stops it.
 */
export function iovecBomb(fd: 1 | 2, count: number, len = 0): string {
  const bytes = count * 8;
  return `(module
    (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") ${pagesFor(bytes + 131072)})
    (func (export "_start") (local $i i32)
      (loop $fill
        (i32.store (i32.add (i32.const 131072) (i32.mul (local.get $i) (i32.const 8))) (i32.const 1024))
        (i32.store (i32.add (i32.const 131076) (i32.mul (local.get $i) (i32.const 8))) (i32.const ${len}))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $fill (i32.lt_u (local.get $i) (i32.const ${count}))))
      (loop $w (drop (call $fd_write (i32.const ${fd}) (i32.const 131072) (i32.const ${count}) (i32.const 16))) (br $w))))`;
}

/**
 * The core module of an execute-task component (proto/ari/v1/agent.wit) that never answers: like bulkLoop, `copies`
 * functions each doing `perCall` memory.fill/copy of `mib` MiB, called in turn forever.
 */
export function componentBulkCore(op: 'fill' | 'copy', mib: number, copies = 32, perCall = 2): string {
  const n = mib * MIB;
  const body = op === 'fill'
    ? `(memory.fill (i32.const 65536) (i32.const 7) (i32.const ${n}))`
    : `(memory.copy (i32.const 65536) (i32.const 131072) (i32.const ${n}))`;
  const fns = Array.from({ length: copies }, (_, i) => `(func $f${i} (local $k i32)
      (loop $l ${body} (local.set $k (i32.add (local.get $k) (i32.const 1))) (br_if $l (i32.lt_u (local.get $k) (i32.const ${perCall})))))`).join('\n');
  const calls = Array.from({ length: copies }, (_, i) => `(call $f${i})`).join(' ');
  return `(module (memory (export "memory") ${pagesFor(n + 131072)})
    ${fns}
    (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
    (func (export "execute-task") (param i32 i32) (result i32) (loop $forever ${calls} (br $forever)) (i32.const 0)))`;
}
