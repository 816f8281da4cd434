// Shifts function indices outside code bodies: constant expressions, element segments, globals, exports.
import { KINDS, type Export } from './module-layout.js';
import { OP, readOpcode, skipImmediates, valueType } from './opcodes.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

const { refFunc: REF_FUNC, end: END } = OP;

export type Remap = (funcIndex: number) => number;

/** Copies one constant expression (through its `end`), renumbering `ref.func`. */
export function copyConstExpr(r: Reader, w: Writer, remap: Remap, where: string): void {
  for (;;) {
    const start = r.pos;
    const code = readOpcode(r, where);
    if (code === REF_FUNC) {
      w.u8(code).u32(remap(r.u32()));
      continue;
    }
    skipImmediates(r, code, where);
    w.copy(r.buf, start, r.pos);
    if (code === END) return;
  }
}

/** Element section with every function index (plain or inside element expressions) renumbered. */
export function rewriteElements(payload: Uint8Array, remap: Remap): Uint8Array {
  const r = new Reader(payload);
  const w = new Writer();
  const n = r.u32();
  w.u32(n);
  for (let i = 0; i < n; i++) {
    const where = `element segment ${i}`;
    const flags = r.u32();
    w.u32(flags);
    if ((flags & 1) === 0) {
      if (flags & 2) w.u32(r.u32());
      copyConstExpr(r, w, remap, where);
    }
    if (flags & 3) w.u8(flags & 4 ? valueType(r, where) : r.u8());
    const items = r.u32();
    w.u32(items);
    for (let j = 0; j < items; j++) {
      if (flags & 4) copyConstExpr(r, w, remap, where);
      else w.u32(remap(r.u32()));
    }
  }
  return w.finish();
}

/** Global section with initialisers renumbered and `extra` (already encoded globals) appended. */
export function rewriteGlobals(payload: Uint8Array | undefined, remap: Remap, extra: Uint8Array[]): Uint8Array {
  const r = new Reader(payload ?? new Uint8Array([0]));
  const n = r.u32();
  const w = new Writer().u32(n + extra.length);
  for (let i = 0; i < n; i++) {
    w.u8(valueType(r, `global ${i}`)).u8(r.u8());
    copyConstExpr(r, w, remap, `global ${i}`);
  }
  for (const g of extra) w.bytes(g);
  return w.finish();
}

export function writeExports(exports: Export[]): Uint8Array {
  const w = new Writer().u32(exports.length);
  for (const e of exports) w.name(e.name).u8(KINDS.indexOf(e.kind)).u32(e.index);
  return w.finish();
}
