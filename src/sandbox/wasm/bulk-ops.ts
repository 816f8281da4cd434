// Rewrites the operators whose work grows with an operand: charge by size and test the budget before they run.
import { BYTES_PER_FUEL_SHIFT, FUEL_PER_TABLE_ELEMENT } from './costs.js';
import { capBytes, memoryBytes, type HelperGlobals } from './bulk-helpers.js';
import type { FuelCounter } from './fuel-counter.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

const FC = 0xfc << 16;
export const BULK = {
  memoryInit: FC | 8, memoryCopy: FC | 10, memoryFill: FC | 11, tableInit: FC | 12, tableCopy: FC | 14,
  tableGrow: FC | 15, tableFill: FC | 17, memoryGrow: 0x40,
} as const;
const SIZED = new Set<number>(Object.values(BULK));

export interface BulkContext {
  counter: FuelCounter;
  /** Scratch i32 locals. */
  n32: number;
  r32: number;
  globals: HelperGlobals;
  /** Function indices of the added helpers (allocated on first use). */
  growHelper: (mem: number) => number;
  fillHelper: (mem: number) => number;
  copyHelper: (dst: number, src: number) => number;
  /** Bytes per element of table `t`. */
  elementBytes: (table: number) => number;
}

const LOCAL_GET = 0x20, LOCAL_TEE = 0x22, GLOBAL_GET = 0x23, GLOBAL_SET = 0x24, CALL = 0x10;
const I32_CONST = 0x41, I64_CONST = 0x42, EXTEND_U = 0xad, I64_SHR_U = 0x88, I64_MUL = 0x7e, I64_ADD = 0x7c;

export const isSized = (code: number): boolean => SIZED.has(code);

/** `local.tee n; fuel -= f(n); test; <op>`: the length is the operator's last operand. */
function chargeLength(seg: Writer, ctx: BulkContext, scale: (w: Writer) => void): void {
  seg.u8(LOCAL_TEE).u32(ctx.n32);
  ctx.counter.chargeDynamic(seg, (w) => {
    w.u8(LOCAL_GET).u32(ctx.n32).u8(EXTEND_U);
    scale(w);
  });
  ctx.counter.test(seg);
}

const perByte = (w: Writer) => void w.ops(I64_CONST, BYTES_PER_FUEL_SHIFT, I64_SHR_U);
const perElement = (w: Writer) => void w.ops(I64_CONST, FUEL_PER_TABLE_ELEMENT, I64_MUL);

/** Calls a helper that reads and charges the global counter itself. */
function viaHelper(seg: Writer, ctx: BulkContext, func: number): void {
  ctx.counter.flush(seg).u8(CALL).u32(func);
  ctx.counter.reload(seg);
}

/**
 * table.grow with the cap applied: a grow that would take linear memory plus extra bytes past the cap is
 * turned into one the engine must refuse (delta 0xffffffff), a refused grow sets `__ari_oom`, and a
 * successful one adds its bytes to `__ari_extra_bytes` and is charged per element.
 */
function tableGrow(seg: Writer, ctx: BulkContext, table: number): void {
  const g = ctx.globals;
  const eb = ctx.elementBytes(table);
  seg.u8(0x21).u32(ctx.n32).ops(I32_CONST, 0x7f).u8(LOCAL_GET).u32(ctx.n32);
  seg.u8(GLOBAL_GET).u32(g.extraBytes).u8(LOCAL_GET).u32(ctx.n32).u8(EXTEND_U).u8(I64_CONST).s64(eb).ops(I64_MUL, I64_ADD);
  memoryBytes(seg, g.memoryCount).u8(I64_ADD);
  capBytes(seg, g).ops(0x56, 0x1b); // i64.gt_u; select
  seg.ops(0xfc, 15).u32(table).u8(LOCAL_TEE).u32(ctx.r32).ops(I32_CONST, 0x7f, 0x46, 0x04, 0x40);
  seg.ops(I32_CONST, 1).u8(GLOBAL_SET).u32(g.oom).u8(0x05);
  seg.u8(GLOBAL_GET).u32(g.extraBytes).u8(LOCAL_GET).u32(ctx.n32).u8(EXTEND_U).u8(I64_CONST).s64(eb).ops(I64_MUL, I64_ADD);
  seg.u8(GLOBAL_SET).u32(g.extraBytes);
  ctx.counter.chargeDynamic(seg, (w) => void perElement(w.u8(LOCAL_GET).u32(ctx.n32).u8(EXTEND_U)));
  ctx.counter.test(seg).u8(0x0b).u8(LOCAL_GET).u32(ctx.r32);
}

/** Emits the metered form of a sized operator whose opcode was just read (immediates still in `r`). */
export function rewriteSized(code: number, r: Reader, seg: Writer, ctx: BulkContext): void {
  switch (code) {
    case BULK.memoryGrow: return viaHelper(seg, ctx, ctx.growHelper(r.u32()));
    case BULK.memoryFill: return viaHelper(seg, ctx, ctx.fillHelper(r.u32()));
    case BULK.memoryCopy: { const dst = r.u32(); return viaHelper(seg, ctx, ctx.copyHelper(dst, r.u32())); }
    case BULK.tableGrow: return tableGrow(seg, ctx, r.u32());
    case BULK.memoryInit:
    case BULK.tableInit:
    case BULK.tableCopy: {
      const a = r.u32();
      const b = r.u32();
      chargeLength(seg, ctx, code === BULK.memoryInit ? perByte : perElement);
      seg.ops(0xfc, code & 0xff).u32(a).u32(b);
      return;
    }
    case BULK.tableFill: {
      const t = r.u32();
      chargeLength(seg, ctx, perElement);
      seg.ops(0xfc, 17).u32(t);
      return;
    }
    default: throw new Error(`not a sized operator: ${code}`);
  }
}
