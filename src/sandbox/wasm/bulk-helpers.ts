// Bodies of the functions the instrumenter adds: guarded memory.grow, and memory.fill/copy metered chunk by chunk.
import { BULK_CHUNK_BYTES, BYTES_PER_FUEL_SHIFT, FUEL_PER_PAGE } from './costs.js';
import { Writer } from './writer.js';

/** The instrumenter's globals and import a helper touches. */
export interface HelperGlobals {
  fuel: number;
  outOfFuelFunc: number;
  maxPages: number;
  oom: number;
  /** Bytes held besides linear memory (tables, globals), counted against the cap with it. */
  extraBytes: number;
  /** Number of memories in the module (all of them count against the cap). */
  memoryCount: number;
}

const O = {
  if: 0x04, else: 0x05, loop: 0x03, end: 0x0b, brIf: 0x0d, return: 0x0f, call: 0x10, select: 0x1b, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23, globalSet: 0x24, memorySize: 0x3f, memoryGrow: 0x40,
  i32: 0x41, i64: 0x42, i32Eq: 0x46, i32LtU: 0x49, i32GtU: 0x4b, i32Add: 0x6a, i32Sub: 0x6b, i32Or: 0x72,
  i64LtS: 0x53, i64GtU: 0x56, i64Add: 0x7c, i64Sub: 0x7d, i64Mul: 0x7e, i64Shl: 0x86, i64ShrU: 0x88, extendU: 0xad,
} as const;

/** Pushes Σ memory sizes in bytes, as i64. */
export function memoryBytes(w: Writer, memoryCount: number): Writer {
  for (let m = 0; m < memoryCount; m++) {
    w.u8(O.memorySize).u32(m).u8(O.extendU);
    if (m > 0) w.u8(O.i64Add);
  }
  if (memoryCount === 0) w.ops(O.i64, 0);
  return w.ops(O.i64, 16, O.i64Shl);
}

/** Pushes `__ari_mem_max_pages` in bytes, as i64 (the cap everything counted is compared with). */
export function capBytes(w: Writer, g: HelperGlobals): Writer {
  return w.u8(O.globalGet).u32(g.maxPages).ops(O.extendU, O.i64, 16, O.i64Shl);
}

/** `fuel -= <i64 pushed by amount>; if fuel < 0 { out_of_fuel() }` on the global counter. */
function chargeGlobal(w: Writer, g: HelperGlobals, amount: (w: Writer) => void): void {
  w.u8(O.globalGet).u32(g.fuel);
  amount(w);
  w.u8(O.i64Sub).u8(O.globalSet).u32(g.fuel);
  w.u8(O.globalGet).u32(g.fuel).ops(O.i64, 0, O.i64LtS, O.if, O.void, O.call).u32(g.outOfFuelFunc).u8(O.end);
}

/**
 * `[delta: i32] -> [i32]` standing in for `memory.grow memIdx`: refuses (-1, oom=1) when all memories
 * plus the extra bytes would pass `__ari_mem_max_pages`, flags oom when the engine refuses too, and
 * charges FUEL_PER_PAGE per page added (then tests the budget) when the grow succeeds.
 */
export function growHelperBody(memIdx: number, g: HelperGlobals): Uint8Array {
  const w = new Writer();
  w.u32(1).u32(1).u8(0x7f); // local 1: the grow result
  memoryBytes(w, g.memoryCount).u8(O.localGet).u32(0).ops(O.extendU, O.i64, 16, O.i64Shl, O.i64Add);
  w.u8(O.globalGet).u32(g.extraBytes).u8(O.i64Add);
  capBytes(w, g).u8(O.i64GtU);
  w.ops(O.if, O.void, O.i32, 1, O.globalSet).u32(g.oom).ops(O.i32, 0x7f, O.return, O.end);
  w.ops(O.localGet, 0, O.memoryGrow).u32(memIdx).ops(O.localTee, 1, O.i32, 0x7f, O.i32Eq);
  w.ops(O.if, O.void, O.i32, 1, O.globalSet).u32(g.oom).u8(O.else);
  chargeGlobal(w, g, (x) => x.ops(O.localGet, 0, O.extendU, O.i64).s64(FUEL_PER_PAGE).u8(O.i64Mul));
  return w.ops(O.end, O.localGet, 1, O.end).finish();
}

type ChunkOp = (w: Writer, dst: (w: Writer) => void, src: (w: Writer) => void, len: (w: Writer) => void) => void;

/** Pushes `i64(local a) + i64(local b)`. */
const sum64 = (w: Writer, a: number, b: number) => w.ops(O.localGet, a, O.extendU, O.localGet, b, O.extendU, O.i64Add);
const local = (i: number) => (w: Writer) => void w.ops(O.localGet, i);
const plus = (a: number, b: number) => (w: Writer) => void w.ops(O.localGet, a, O.localGet, b, O.i32Add);
const CHUNK = new Writer().s64(BULK_CHUNK_BYTES).finish();

/** `local 3 = min(local 2, CHUNK)`, then charge it (locals: 0 dst, 1 src/value, 2 length, 3 chunk). */
function nextChunk(w: Writer, g: HelperGlobals): void {
  w.ops(O.localGet, 2, O.i32).bytes(CHUNK).ops(O.localGet, 2, O.i32).bytes(CHUNK).ops(O.i32LtU, O.select, O.localSet, 3);
  chargeGlobal(w, g, (x) => x.ops(O.localGet, 3, O.extendU, O.i64, BYTES_PER_FUEL_SHIFT, O.i64ShrU));
}

/** Forward chunk loop: op(dst, src, chunk); dst += chunk; [src += chunk]; length -= chunk; until length is 0. */
function forward(w: Writer, g: HelperGlobals, op: ChunkOp, advanceSrc: boolean): void {
  w.ops(O.loop, O.void);
  nextChunk(w, g);
  op(w, local(0), local(1), local(3));
  w.ops(O.localGet, 0, O.localGet, 3, O.i32Add, O.localSet, 0);
  if (advanceSrc) w.ops(O.localGet, 1, O.localGet, 3, O.i32Add, O.localSet, 1);
  w.ops(O.localGet, 2, O.localGet, 3, O.i32Sub, O.localTee, 2, O.brIf, 0, O.end);
}

/**
 * `[dst, value|src, len: i32] -> []` for memory.fill (src undefined) or memory.copy. Up to one chunk
 * it is the original operator after one charge; beyond, the bounds are tested first (out of bounds
 * runs the original, which traps before writing anything, as the spec says), then chunks follow, each
 * charged and tested before it runs. A copy to a higher address runs backwards, as memmove does.
 */
export function chunkedHelperBody(op: 'fill' | 'copy', dstMem: number, srcMem: number): (g: HelperGlobals) => Uint8Array {
  return (g) => {
    const w = new Writer().u32(1).u32(1).u8(0x7f); // local 3: this chunk's length
    const run: ChunkOp = (x, d, s, n) => {
      d(x); s(x); n(x);
      if (op === 'fill') x.ops(0xfc, 11).u32(dstMem);
      else x.ops(0xfc, 10).u32(dstMem).u32(srcMem);
    };
    const whole = () => run(w, local(0), local(1), local(2));
    w.ops(O.localGet, 2, O.i32).bytes(CHUNK).ops(O.i32GtU, O.if, O.void);
    sum64(w, 0, 2).u8(O.memorySize).u32(dstMem).ops(O.extendU, O.i64, 16, O.i64Shl, O.i64GtU);
    if (op === 'copy') sum64(w, 1, 2).u8(O.memorySize).u32(srcMem).ops(O.extendU, O.i64, 16, O.i64Shl, O.i64GtU, O.i32Or);
    w.ops(O.if, O.void);
    whole();
    w.ops(O.return, O.end);
    if (op === 'copy') {
      w.ops(O.localGet, 0, O.localGet, 1, O.i32GtU, O.if, O.void, O.loop, O.void);
      nextChunk(w, g);
      w.ops(O.localGet, 2, O.localGet, 3, O.i32Sub, O.localSet, 2);
      run(w, plus(0, 2), plus(1, 2), local(3));
      w.ops(O.localGet, 2, O.brIf, 0, O.end, O.return, O.end);
    }
    w.u8(O.end);
    forward(w, g, run, op === 'copy');
    return w.u8(O.end).finish();
  };
}
