// WAT sources of the test agents: well-behaved seed and WASI modules and hostile ones.
import { seedModule } from './wat.js';

/** Answers {"output": <the task document>} and logs one line. */
export const SEED_ECHO = `(module
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "time" (func $time (result i64)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "{\\"output\\":")
  (data (i32.const 32) "hello log")
  (func $alloc (export "alloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $n)))
    (local.get $p))
  (func (export "execute_task") (param $p i32) (param $n i32) (result i32) (local $out i32)
    (call $log (i32.const 32) (i32.const 9))
    (drop (call $time))
    (local.set $out (call $alloc (i32.add (local.get $n) (i32.const 15))))
    (i32.store (local.get $out) (i32.add (local.get $n) (i32.const 11)))
    (memory.copy (i32.add (local.get $out) (i32.const 4)) (i32.const 16) (i32.const 10))
    (memory.copy (i32.add (local.get $out) (i32.const 14)) (local.get $p) (local.get $n))
    (i32.store8 (i32.add (i32.add (local.get $out) (i32.const 14)) (local.get $n)) (i32.const 125))
    (local.get $out)))`;

/** Returns how many times execute_task ran in this instance: 1 with a fresh instance per task. */
export const SEED_COUNTER = seedModule(
  `(global.set $count (i32.add (global.get $count) (i32.const 1)))
   (i32.store8 (i32.const 14) (i32.add (i32.const 48) (global.get $count)))`,
  '{"output":0}',
  '(global $count (mut i32) (i32.const 0))',
);

export const SEED_SPIN = seedModule('(loop $l (br $l))');
export const SEED_TRAP = seedModule('unreachable');
export const SEED_DIV0 = seedModule('(drop (i32.div_s (i32.const 1) (i32.sub (local.get $n) (local.get $n))))');
export const SEED_RECURSE = seedModule('(drop (call $r (i32.const 0)))', undefined,
  '(func $r (param i32) (result i32) (i32.add (i32.const 1) (call $r (i32.add (local.get 0) (i32.const 1)))))');
export const SEED_GROW_BOMB = seedModule('(loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable');
/** Counts to `n` in a loop, then answers: a fixed amount of work. */
export const seedCount = (n: number) => seedModule(
  `(local.set $n (i32.const 0)) (loop $l (local.set $n (i32.add (local.get $n) (i32.const 1))) (br_if $l (i32.lt_u (local.get $n) (i32.const ${n}))))`);
export const SEED_AGENT_ERROR = seedModule('', '{"error":"division by zero"}');
/** Claims a 100 MB result. */
export const SEED_HUGE_RESULT = seedModule('(i32.store (i32.const 0) (i32.const 100000000))');
/** Returns a pointer past the end of memory. */
export const SEED_LYING_POINTER = seedModule('(return (i32.const -16))');
export const SEED_BAD_JSON = seedModule('', 'not json');
export const SEED_FORBIDDEN_IMPORT = seedModule('(call $sys)', undefined, '(import "env" "system" (func $sys))');

const WASI = 'wasi_snapshot_preview1';

/** Reads stdin fully, writes {"output": <stdin>} to stdout and "hi" to stderr. */
export const WASI_ECHO = `(module
  (import "${WASI}" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "${WASI}" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "{\\"output\\":")
  (data (i32.const 10) "}")
  (data (i32.const 12) "hi\\n")
  (func (export "_start") (local $total i32) (local $n i32)
    (block $done (loop $read
      (i32.store (i32.const 100) (i32.add (i32.const 1024) (local.get $total)))
      (i32.store (i32.const 104) (i32.sub (i32.const 60000) (local.get $total)))
      (drop (call $fd_read (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))
      (local.set $n (i32.load (i32.const 200)))
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $total (i32.add (local.get $total) (local.get $n)))
      (br $read)))
    (i32.store (i32.const 300) (i32.const 0)) (i32.store (i32.const 304) (i32.const 10))
    (i32.store (i32.const 308) (i32.const 1024)) (i32.store (i32.const 312) (local.get $total))
    (i32.store (i32.const 316) (i32.const 10)) (i32.store (i32.const 320) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 300) (i32.const 3) (i32.const 200)))
    (i32.store (i32.const 300) (i32.const 12)) (i32.store (i32.const 304) (i32.const 3))
    (drop (call $fd_write (i32.const 2) (i32.const 300) (i32.const 1) (i32.const 200)))
    (call $exit (i32.const 0))))`;

/** Tries path_open, fd_prestat_get(3) and sock_accept; answers {"output":"EE EE EE"} with their errnos. */
export const WASI_ESCAPE = `(module
  (import "${WASI}" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "${WASI}" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "${WASI}" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\\"output\\":\\"00 00 00\\"}")
  (data (i32.const 64) "/etc/passwd")
  (func $put (param $at i32) (param $e i32)
    (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.div_u (local.get $e) (i32.const 10))))
    (i32.store8 (i32.add (local.get $at) (i32.const 1)) (i32.add (i32.const 48) (i32.rem_u (local.get $e) (i32.const 10)))))
  (func (export "_start")
    (call $put (i32.const 11) (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 11) (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 128)))
    (call $put (i32.const 14) (call $prestat (i32.const 3) (i32.const 128)))
    (call $put (i32.const 17) (call $accept (i32.const 3) (i32.const 0) (i32.const 128)))
    (i32.store (i32.const 200) (i32.const 0)) (i32.store (i32.const 204) (i32.const 21))
    (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 208)))))`;

/** Writes 1000-byte chunks to stdout forever. */
export const WASI_FLOOD = `(module
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 1000))
    (loop $l (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br $l))))`;
