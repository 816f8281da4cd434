// Rewrites one function body: per-segment fuel charges, budget tests where needed, sized operators, index fixes.
import { rewriteSized, isSized, type BulkContext } from './bulk-ops.js';
import { CHECK_EVERY_FUEL } from './costs.js';
import { FuelCounter } from './fuel-counter.js';
import { InstrumentError } from './instrument-error.js';
import * as opcodes from './opcodes.js';
import { Reader } from './reader.js';
import { FrameStack } from './frame-stack.js';
import { Writer } from './writer.js';

// Plain local constants: imported bindings are read through a getter on every access under tsx.
const { OP, readOpcode, skipImmediates, valueType } = opcodes;
const UNREACHABLE = 0x00;
const { nop: NOP, block: BLOCK, loop: LOOP, if: IF, else: ELSE, end: END, br: BR, brIf: BR_IF, brTable: BR_TABLE,
  return: RETURN, call: CALL, callIndirect: CALL_INDIRECT, returnCall: RETURN_CALL, returnCallIndirect: RETURN_CALL_INDIRECT,
  refFunc: REF_FUNC } = OP;

export interface FuelContext {
  /** Index of the function in the original module, for error messages. */
  funcIndex: number;
  paramCount: number;
  fuelGlobal: number;
  outOfFuelFunc: number;
  /** Functions below this (original) index are imports: a call to one tests the budget first. */
  importedFuncs: number;
  remapFunc: (index: number) => number;
  /** Parameter count of a type index (block types). */
  typeParamCount: (typeIndex: number) => number;
  /** A type index for `[params of typeIndex] -> [same params]`, added to the module on demand. */
  paramsOnlyType: (typeIndex: number) => number;
  /** Everything the sized operators need except the counter and scratch locals. */
  bulk: Omit<BulkContext, 'counter' | 'n32' | 'r32'>;
  /** Called every few thousand operators: throws when preparation has taken too long. */
  checkTime?: () => void;
}

/**
 * Charging rule (so fuel can be counted by hand): every original operator costs 1 except the
 * structural markers `block`, `loop`, `else`, `end` and `nop`, which cost 0 (as in Wasmtime); sized
 * operators cost 1 plus their size (costs.ts). A body is cut into segments, a new one starting at
 * function entry and right after every `loop`, `if`, `else` and `end`; entering a segment charges the
 * cost of all its operators, even if a branch later leaves it early. A counter below zero calls
 * `out_of_fuel`. Tested: at function entry after the first charge, at each loop header before the
 * charge (so a refuelled loop is not charged twice), before a call that may reach the host (imports,
 * call_indirect), before every sized operator runs and before `unreachable`, and after a segment once CHECK_EVERY_FUEL may have
 * been charged on some path since the last test. Exported functions test once more on the way out
 * (instrument.ts wraps them), so a run that spent more than its budget never returns normally.
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
  // Extra locals: one i64 (the counter when useLocal, else scratch for the entry test), two i32 scratch.
  out.u32(groups + 2).bytes(declared.finish()).ops(0x01, 0x7e, 0x02, 0x7f);
  const counter = new FuelCounter(useLocal, locals, ctx.fuelGlobal, ctx.outOfFuelFunc);
  const bulk: BulkContext = { ...ctx.bulk, counter, n32: locals + 1, r32: locals + 2 };
  const frames = new FrameStack();

  const seg = new Writer();
  let segOps = 0;
  let segHasCall = false;
  let first = true;
  let acc = 0; // most fuel charged since the last test on any path reaching here
  const segTargets: number[] = []; // frames that branches in this segment leave to
  const closeSegment = () => {
    if (first) counter.entry(out, segOps);
    else counter.charge(out, segOps);
    acc = first ? 0 : acc + segOps;
    if (acc >= CHECK_EVERY_FUEL) {
      counter.test(out);
      acc = 0;
    }
    for (const f of segTargets) frames.branchFrom(f, acc);
    // A callee tests at entry, which covers everything charged here (charges precede the segment's code).
    if (segHasCall) acc = 0;
    first = false;
    out.bytes(seg.finish());
    seg.reset();
    segOps = 0;
    segHasCall = false;
    segTargets.length = 0;
  };
  const branch = (d: number) => {
    if (d === frames.depth) flush(seg);
    else segTargets.push(frames.depth - d);
    return frames.relabel(d);
  };
  const flush = (w: Writer) => counter.flush(w);
  const beforeCall = (mayReachHost: boolean) => {
    flush(seg);
    if (mayReachHost) counter.test(seg);
    segHasCall = true;
  };

  for (let ops = 0; ; ops++) {
    if (r.done) throw new InstrumentError(`${where}: body ends without end`);
    if ((ops & 4095) === 4095) ctx.checkTime?.();
    const start = r.pos;
    const code = readOpcode(r, where);
    if (code !== BLOCK && code !== LOOP && code !== ELSE && code !== END && code !== NOP) segOps++;
    if (isSized(code)) {
      rewriteSized(code, r, seg, bulk);
      continue;
    }
    switch (code) {
      case CALL:
      case RETURN_CALL: {
        const original = r.u32();
        beforeCall(original < ctx.importedFuncs);
        seg.u8(code).u32(ctx.remapFunc(original));
        if (code === CALL) counter.reload(seg);
        continue;
      }
      case CALL_INDIRECT:
      case RETURN_CALL_INDIRECT:
        skipImmediates(r, code, where);
        beforeCall(true);
        seg.copy(body, start, r.pos);
        if (code === CALL_INDIRECT) counter.reload(seg);
        continue;
      case REF_FUNC:
        seg.u8(code).u32(ctx.remapFunc(r.u32()));
        continue;
      case UNREACHABLE:
        // A deliberate trap after an overrun ends OUT_OF_FUEL, like a return would.
        counter.test(seg).u8(code);
        continue;
      case RETURN:
        flush(seg).u8(code);
        continue;
      case BR:
      case BR_IF:
        seg.u8(code).u32(branch(r.u32()));
        continue;
      case BR_TABLE: {
        const n = r.u32();
        const labels: number[] = [];
        for (let i = 0; i <= n; i++) labels.push(r.u32());
        if (labels.includes(frames.depth)) flush(seg);
        seg.u8(code).u32(n);
        for (const d of labels) seg.u32(d === frames.depth ? frames.relabel(d) : branch(d));
        continue;
      }
      case BLOCK:
      case IF: {
        skipImmediates(r, code, where);
        seg.copy(body, start, r.pos);
        if (code === IF) closeSegment();
        frames.push(code === IF ? 'if' : 'block', acc);
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
        frames.push('loop', acc);
        closeSegment();
        counter.load(out).ops(0x42, 0x00, 0x53, BR_IF, 0x01);
        acc = 0;
        continue;
      }
      case ELSE:
        seg.u8(code);
        closeSegment();
        acc = frames.enterElse(acc);
        continue;
      case END: {
        if (frames.depth === 0) {
          flush(seg).u8(code);
          closeSegment();
          if (!r.done) throw new InstrumentError(`${where}: bytes after the final end`);
          return out.finish();
        }
        seg.u8(code);
        closeSegment();
        const { wasLoop, acc: after } = frames.pop(acc);
        acc = after;
        if (wasLoop) counter.refuel(out.ops(BR, 0x02, END)).ops(BR, 0x00, END, END);
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
