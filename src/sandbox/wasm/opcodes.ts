// Operator decoding: which opcodes we accept and how long their immediates are.
import { InstrumentError } from './instrument-error.js';
import type { Reader } from './reader.js';

/** Opcodes the rewriter treats specially (prefixed ones are encoded as prefix << 16 | sub-opcode). */
export const OP = {
  nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, brIf: 0x0d, brTable: 0x0e, return: 0x0f,
  call: 0x10, callIndirect: 0x11, returnCall: 0x12, returnCallIndirect: 0x13,
  memoryGrow: 0x40, refFunc: 0xd2,
} as const;

const enum Imm { None, BlockType, U32, U32x2, BrTable, MemArg, Leb, F32, F64, SelectT, HeapType, V128, Lane, MemArgLane, Bad }

const single = new Uint8Array(256).fill(Imm.Bad);
const setRange = (t: Uint8Array, from: number, to: number, kind: Imm) => t.fill(kind, from, to + 1);
setRange(single, 0x00, 0x01, Imm.None); // unreachable nop
setRange(single, 0x02, 0x04, Imm.BlockType);
single[0x05] = Imm.None;
single[0x0b] = Imm.None;
setRange(single, 0x0c, 0x0d, Imm.U32);
single[0x0e] = Imm.BrTable;
single[0x0f] = Imm.None;
single[0x10] = Imm.U32;
single[0x11] = Imm.U32x2;
single[0x12] = Imm.U32;
single[0x13] = Imm.U32x2;
setRange(single, 0x1a, 0x1b, Imm.None); // drop select
single[0x1c] = Imm.SelectT;
setRange(single, 0x20, 0x26, Imm.U32); // locals, globals, table.get/set
setRange(single, 0x28, 0x3e, Imm.MemArg);
setRange(single, 0x3f, 0x40, Imm.U32); // memory.size/grow memidx
setRange(single, 0x41, 0x42, Imm.Leb);
single[0x43] = Imm.F32;
single[0x44] = Imm.F64;
setRange(single, 0x45, 0xc4, Imm.None); // numeric incl. sign-extension
single[0xd0] = Imm.HeapType;
single[0xd1] = Imm.None;
single[0xd2] = Imm.U32;

// 0xFC: saturating truncation (0-7), bulk memory and table ops (8-17).
const misc = [Imm.None, Imm.None, Imm.None, Imm.None, Imm.None, Imm.None, Imm.None, Imm.None,
  Imm.U32x2, Imm.U32, Imm.U32x2, Imm.U32, Imm.U32x2, Imm.U32, Imm.U32x2, Imm.U32, Imm.U32, Imm.U32];

// 0xFD: fixed-width SIMD (0-255); relaxed SIMD (0x100+) is not supported.
const simd = new Uint8Array(256).fill(Imm.None);
setRange(simd, 0, 11, Imm.MemArg);
setRange(simd, 12, 13, Imm.V128); // v128.const, i8x16.shuffle
setRange(simd, 21, 34, Imm.Lane);
setRange(simd, 84, 91, Imm.MemArgLane);
setRange(simd, 92, 93, Imm.MemArg);

/** 0x40 (empty), i32 i64 f32 f64 v128, funcref externref as signed LEB values. */
const BLOCK_VALUE_TYPES = new Set([-64, -1, -2, -3, -4, -5, -16, -17]);

const families: Record<number, string> = {
  0x06: 'try (exception handling)', 0x07: 'catch (exception handling)', 0x08: 'throw (exception handling)',
  0x09: 'rethrow (exception handling)', 0x0a: 'throw_ref (exception handling)', 0x14: 'call_ref (function references)',
  0x15: 'return_call_ref (function references)', 0x18: 'delegate (exception handling)', 0x19: 'catch_all (exception handling)',
  0x1f: 'try_table (exception handling)', 0xd3: 'ref.as_non_null (function references)', 0xd4: 'br_on_null (function references)',
  0xd5: 'ref.eq (GC)', 0xd6: 'br_on_non_null (function references)', 0xfb: 'GC prefix', 0xfe: 'threads/atomics prefix',
};

function unsupported(code: number, where: string): InstrumentError {
  const hex = code > 0xff ? `0x${(code >>> 16).toString(16)} ${code & 0xffff}` : `0x${code.toString(16).padStart(2, '0')}`;
  const family = families[code > 0xff ? code >>> 16 : code];
  return new InstrumentError(`unsupported opcode ${hex}${family ? ` ${family}` : ''} in ${where}`);
}

/** Reads an opcode; prefixed opcodes come back as prefix << 16 | sub-opcode. */
export function readOpcode(r: Reader, where: string): number {
  const b = r.u8();
  if (b !== 0xfc && b !== 0xfd) return b;
  const sub = r.u32();
  if (sub > 0xffff) throw unsupported((b << 16) | 0xffff, where);
  return (b << 16) | sub;
}

function immediateKind(code: number): Imm {
  if (code <= 0xff) return single[code] as Imm;
  const sub = code & 0xffff;
  if (code >>> 16 === 0xfc) return sub < misc.length ? misc[sub]! : Imm.Bad;
  return sub < simd.length ? (simd[sub] as Imm) : Imm.Bad;
}

function skipMemArg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory index
  r.u32();
}

/** Advances past the immediates of `code`; throws for opcodes outside the supported feature set. */
export function skipImmediates(r: Reader, code: number, where: string): void {
  switch (immediateKind(code)) {
    case Imm.None: return;
    case Imm.BlockType: {
      const t = r.s33();
      // Non-negative is a type index; negative must be empty or a supported single-byte value type.
      if (t < 0 && !BLOCK_VALUE_TYPES.has(t)) throw unsupported(code, `${where} (block type ${t})`);
      return;
    }
    case Imm.U32: r.u32(); return;
    case Imm.U32x2: r.u32(); r.u32(); return;
    case Imm.BrTable: { const n = r.u32(); for (let i = 0; i <= n; i++) r.u32(); return; }
    case Imm.MemArg: skipMemArg(r); return;
    case Imm.Leb: r.skipLeb(); return;
    case Imm.F32: r.skip(4); return;
    case Imm.F64: r.skip(8); return;
    case Imm.SelectT: { const n = r.u32(); for (let i = 0; i < n; i++) valueType(r, where); return; }
    case Imm.HeapType: r.s33(); return;
    case Imm.V128: r.skip(16); return;
    case Imm.Lane: r.skip(1); return;
    case Imm.MemArgLane: skipMemArg(r); r.skip(1); return;
    default: throw unsupported(code, where);
  }
}

const VALUE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

/** Reads a value type; only the numeric, v128, funcref and externref types are supported. */
export function valueType(r: Reader, where: string): number {
  const t = r.u8();
  if (!VALUE_TYPES.has(t)) throw new InstrumentError(`unsupported value type 0x${t.toString(16)} in ${where}`);
  return t;
}
