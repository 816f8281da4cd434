// Rewrites one function body: per-segment fuel charges, checks at entry and loop headers, index fixes.
import { InstrumentError } from './instrument-error.js';
import * as opcodes from './opcodes.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

// Plain local constants: imported bindings are read through a getter on every access under tsx.
const { OP, readOpcode, skipImmediates, valueType } = opcodes;
const { nop: NOP, block: BLOCK, loop: LOOP, if: IF, else: ELSE, end: END, br: BR, brIf: BR_IF, brTable: BR_TABLE,
  return: RETURN, call: CALL, callIndirect: CALL_INDIRECT, returnCall: RETURN_CALL, returnCallIndirect: RETURN_CALL_INDIRECT,
  memoryGrow: MEMORY_GROW, refFunc: REF_FUNC } = OP;

export interface FuelContext {
  /** Index of the function in the original module, for error messages. */
  funcIndex: number;
  paramCount: number;
  fuelGlobal: number;
  outOfFuelFunc: number;
  remapFunc: (index: number) => number;
  growHelper: (memIdx: number) => number;
  /** Parameter count of a type index (block types). */
  typeParamCount: (typeIndex: number) => number;
  /** A type index for `[params of typeIndex] -> [same params]`, added to the module on demand. */
  paramsOnlyType: (typeIndex: number) => number;
}

/**
 * Charging rule (so fuel can be counted by hand): every original operator costs 1 except the
 * structural markers `block`, `loop`, `else`, `end` and `nop`, which cost 0 (as in Wasmtime). A body
 * is cut into segments, a new one starting at function entry and right after every `loop`, `if`,
 * `else` and `end`; entering a segment charges the cost of all its operators, even if a branch later
 * leaves it early. A counter below zero calls `out_of_fuel`: tested at function entry after the first
 * charge, and at each loop header before the charge (so a refuelled loop is not charged twice).
 *
 * Speed: functions with loops keep the counter in a local, stored to the global around calls and on
 * every way out; loop-free functions use the global directly. A loop's refuel call is hoisted out of
 * the loop body (V8 optimises a loop with a call in it much worse):
 *   block BT; loop BT; block P->P; loop BT(original); [counter<0 → br_if 1]; charge; body… end;
 *   br 2; end; refuel; br 0; end; end
 * so branches from inside to labels outside the loop are renumbered by +3.
 */
export function rewriteBody(body: Uint8Array, ctx: FuelContext): Uint8Array {
  const where = `function ${ctx.funcIndex}`;
  const r = new Reader(body);
  const out = new Writer();
  const groups = r.u32();
  let locals = ctx.paramCount;
  const declared = new Writer();
  for (let i = 0; i < groups; i++) {
    const n = r.u32();
    locals += n;
    declared.u32(n).u8(valueType(r, where));
  }
  const codeStart = r.pos;
  const useLocal = hasLoop(r, where);
  r.pos = codeStart;
  const L = locals;
  const G = ctx.fuelGlobal;
  // One extra i64 local: the counter when useLocal, else scratch for the entry test.
  out.u32(groups + 1).bytes(declared.finish()).ops(0x01, 0x7e);

  const load = (w: Writer) => (useLocal ? w.u8(0x20).u32(L) : w.u8(0x23).u32(G));
  const store = (w: Writer) => (useLocal ? w.u8(0x21).u32(L) : w.u8(0x24).u32(G));
  const flush = (w: Writer) => (useLocal ? w.u8(0x20).u32(L).u8(0x24).u32(G) : w);
  const reload = (w: Writer) => (useLocal ? w.u8(0x23).u32(G).u8(0x21).u32(L) : w);
  const refuel = (w: Writer) => reload(flush(w).u8(0x10).u32(ctx.outOfFuelFunc));
  const charge = (n: number) => {
    if (n > 0) store(load(out).u8(0x42).s64(n).u8(0x7d));
  };
  /** The first segment: charge, then test the charged value. */
  const entry = (n: number) => {
    out.u8(0x23).u32(G).u8(0x42).s64(n).ops(0x7d, 0x22).u32(L);
    if (!useLocal) out.u8(0x24).u32(G).u8(0x20).u32(L);
    refuel(out.ops(0x42, 0x00, 0x53, 0x04, 0x40)).u8(0x0b);
  };

  const seg = new Writer();
  let segOps = 0;
  let first = true;
  const closeSegment = () => {
    if (first) entry(segOps);
    else charge(segOps);
    first = false;
    out.bytes(seg.finish());
    seg.reset();
    segOps = 0;
  };
  /** Labels inserted just outside each open frame (3 for a metered loop); frame 0 is the function. */
  const inserted: number[] = [0];
  const depth = () => inserted.length - 1;
  const relabel = (d: number) => {
    let extra = 0;
    for (let k = 0; k < d; k++) extra += inserted[inserted.length - 1 - k]!;
    return d + extra;
  };

  for (;;) {
    if (r.done) throw new InstrumentError(`${where}: body ends without end`);
    const start = r.pos;
    const code = readOpcode(r, where);
    if (code !== BLOCK && code !== LOOP && code !== ELSE && code !== END && code !== NOP) segOps++;
    switch (code) {
      case CALL:
      case RETURN_CALL: {
        const f = ctx.remapFunc(r.u32());
        flush(seg).u8(code).u32(f);
        if (code === CALL) reload(seg);
        continue;
      }
      case CALL_INDIRECT:
      case RETURN_CALL_INDIRECT:
        skipImmediates(r, code, where);
        flush(seg).copy(body, start, r.pos);
        if (code === CALL_INDIRECT) reload(seg);
        continue;
      case REF_FUNC:
        seg.u8(code).u32(ctx.remapFunc(r.u32()));
        continue;
      case MEMORY_GROW:
        seg.u8(CALL).u32(ctx.growHelper(r.u32()));
        continue;
      case RETURN:
        flush(seg).u8(code);
        continue;
      case BR:
      case BR_IF: {
        const d = r.u32();
        if (d === depth()) flush(seg);
        seg.u8(code).u32(relabel(d));
        continue;
      }
      case BR_TABLE: {
        const labels: number[] = [];
        for (let n = r.u32(); n >= 0; n--) labels.push(r.u32());
        if (labels.includes(depth())) flush(seg);
        seg.u8(code).u32(labels.length - 1);
        for (const d of labels) seg.u32(relabel(d));
        continue;
      }
      case BLOCK:
      case IF: {
        skipImmediates(r, code, where);
        seg.copy(body, start, r.pos);
        inserted.push(0);
        if (code === IF) closeSegment();
        continue;
      }
      case LOOP: {
        const bt = r.s33();
        const btBytes = body.subarray(start + 1, r.pos);
        const params = bt >= 0 ? ctx.typeParamCount(bt) : 0;
        seg.u8(BLOCK).bytes(btBytes).u8(LOOP).bytes(btBytes);
        if (params) seg.u8(BLOCK).s64(ctx.paramsOnlyType(bt));
        else seg.ops(BLOCK, 0x40);
        seg.u8(LOOP).bytes(btBytes);
        inserted.push(3);
        closeSegment();
        load(out).ops(0x42, 0x00, 0x53, BR_IF, 0x01);
        continue;
      }
      case ELSE:
        seg.u8(code);
        closeSegment();
        continue;
      case END: {
        if (depth() === 0) {
          flush(seg).u8(code);
          closeSegment();
          if (!r.done) throw new InstrumentError(`${where}: bytes after the final end`);
          return out.finish();
        }
        const wasLoop = inserted.pop() === 3;
        seg.u8(code);
        closeSegment();
        if (wasLoop) refuel(out.ops(BR, 0x02, END)).ops(BR, 0x00, END, END);
        continue;
      }
      default:
        skipImmediates(r, code, where);
        seg.copy(body, start, r.pos);
    }
  }
}

/** Whether the body (reader positioned at its first operator) contains a loop. */
function hasLoop(r: Reader, where: string): boolean {
  while (!r.done) {
    const code = readOpcode(r, where);
    if (code === LOOP) return true;
    skipImmediates(r, code, where);
  }
  return false;
}
