// Checks an instrumented module, independently of the rewriter, for guest code that could loop or recurse without
// charging fuel and testing it: what lets the daemon run a module on its main thread (a miss means workers only).
import { chunkedHelperBody, growHelperBody, type HelperGlobals } from './bulk-helpers.js';
import { exportWrapperBody } from './export-wrapper.js';
import { readLayout } from './module-layout.js';
import { OP, readOpcode, skipImmediates, valueType } from './opcodes.js';
import { Reader } from './reader.js';
import { readSections, SEC } from './sections.js';

const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, GLOBAL_GET = 0x23, GLOBAL_SET = 0x24;
const I64_CONST = 0x42, I64_SUB = 0x7d, I64_LT_S = 0x53;
const { block: BLOCK, loop: LOOP, if: IF, else: ELSE, end: END, br: BR, brIf: BR_IF, brTable: BR_TABLE, call: CALL,
  callIndirect: CALL_INDIRECT, returnCall: RETURN_CALL, returnCallIndirect: RETURN_CALL_INDIRECT } = OP;

interface Op { code: number; imm: number; labels?: number[] }
interface Frame { loop: boolean; tested: boolean }
/** Where a function keeps its fuel counter: `local` index, or the global when undefined. */
type Counter = number | undefined;

/** Signed LEB128 as a number (charges are small; anything huge is simply not a charge of ≥ 1). */
function sleb(r: Reader): number {
  let result = 0, scale = 1, b = 0x80;
  for (let i = 0; i < 10 && (b & 0x80); i++) {
    b = r.u8();
    result += (b & 0x7f) * scale;
    scale *= 128;
  }
  return b & 0x40 ? result - scale : result;
}

function decode(body: Uint8Array, where: string): Op[] {
  const r = new Reader(body);
  for (let groups = r.u32(); groups > 0; groups--) { r.u32(); valueType(r, where); }
  const ops: Op[] = [];
  while (!r.done) {
    const code = readOpcode(r, where);
    const op: Op = { code, imm: 0 };
    if ((code >= LOCAL_GET && code <= GLOBAL_SET) || code === BR || code === BR_IF || code === CALL || code === RETURN_CALL) op.imm = r.u32();
    else if (code === I64_CONST) op.imm = sleb(r);
    else if (code === BR_TABLE) op.labels = Array.from({ length: r.u32() + 1 }, () => r.u32());
    else skipImmediates(r, code, where);
    ops.push(op);
  }
  return ops;
}

/** For each block, loop and if: the index of its `end` (one pass, so the check stays linear in the body). */
function matchEnds(ops: Op[]): Int32Array {
  const ends = new Int32Array(ops.length).fill(-1);
  const open: number[] = [];
  ops.forEach(({ code }, i) => {
    if (code === BLOCK || code === LOOP || code === IF) open.push(i);
    else if (code === END && open.length) ends[open.pop()!] = i;
  });
  return ends;
}

class BodyCheck {
  private readonly ends: Int32Array;

  constructor(private readonly ops: Op[], private readonly fuel: number, private readonly out: number, private readonly imported: number) {
    this.ends = matchEnds(ops);
  }

  private is(i: number, code: number, imm?: number): boolean {
    const op = this.ops[i];
    return op !== undefined && op.code === code && (imm === undefined || op.imm === imm);
  }

  private load(i: number, c: Counter): boolean { return c === undefined ? this.is(i, GLOBAL_GET, this.fuel) : this.is(i, LOCAL_GET, c); }
  private store(i: number, c: Counter): boolean { return c === undefined ? this.is(i, GLOBAL_SET, this.fuel) : this.is(i, LOCAL_SET, c); }
  /** `counter < 0` pushed by ops i..i+2. */
  private negative(i: number, c: Counter): boolean { return this.load(i, c) && this.is(i + 1, I64_CONST, 0) && this.is(i + 2, I64_LT_S); }

  /** Index of the `end` closing the block opened at `i`. */
  private endOf(i: number): number {
    return this.ends[i] ?? -1;
  }

  /** Ops i..end are only counter moves and a call of out_of_fuel (a refuel); true when one is called. */
  private refuelsUntil(i: number, end: number): boolean {
    let called = false;
    for (let j = i; j < end; j++) {
      const { code, imm } = this.ops[j]!;
      if (code === CALL && imm === this.out) called = true;
      else if (code === CALL || (code !== LOCAL_GET && code !== LOCAL_SET && code !== GLOBAL_GET && code !== GLOBAL_SET)) return false;
    }
    return called;
  }

  /** The entry `fuel -= n; if fuel < 0 { refuel }`: the counter, the charge and the first op after it. */
  private entry(): { c: Counter; n: number; next: number } | undefined {
    if (!this.is(0, GLOBAL_GET, this.fuel) || !this.is(1, I64_CONST) || !this.is(2, I64_SUB) || !this.is(3, LOCAL_TEE)) return undefined;
    const tee = this.ops[3]!.imm;
    const viaGlobal = this.is(4, GLOBAL_SET, this.fuel) && this.is(5, LOCAL_GET, tee);
    const at = viaGlobal ? 6 : 4;
    if (!this.is(at, I64_CONST, 0) || !this.is(at + 1, I64_LT_S) || !this.is(at + 2, IF)) return undefined;
    const end = this.endOf(at + 2);
    if (end < 0 || !this.refuelsUntil(at + 3, end)) return undefined;
    return { c: viaGlobal ? undefined : tee, n: this.ops[1]!.imm, next: end + 1 };
  }

  /** Undefined when every loop iteration and every call charges ≥ 1 and meets a test; else what is wrong. */
  run(): string | undefined {
    const entry = this.entry();
    if (!entry) return 'no fuel test at entry';
    const { c } = entry;
    const frames: Frame[] = [{ loop: false, tested: false }];
    let charged = entry.n >= 1;
    let refueled = false;
    const boundary = () => { charged = false; refueled = false; };
    const badBackEdge = (d: number) => {
      const f = frames[frames.length - 1 - d];
      return f !== undefined && f.loop && !(refueled || (f.tested && charged));
    };
    for (let i = entry.next; i < this.ops.length; i++) {
      const { code, imm, labels } = this.ops[i]!;
      if (code === LOOP) {
        frames.push({ loop: true, tested: this.headerTest(i, c) });
        boundary();
        if (frames[frames.length - 1]!.tested) i += 4;
      } else if (code === BLOCK) frames.push({ loop: false, tested: false });
      else if (code === IF) {
        const end = this.endOf(i);
        // `if counter < 0 { refuel }` inside a segment is a test, not a boundary.
        if (i >= 3 && this.negative(i - 3, c) && end > 0 && this.refuelsUntil(i + 1, end)) { i = end; continue; }
        frames.push({ loop: false, tested: false });
        boundary();
      } else if (code === ELSE) boundary();
      else if (code === END) { frames.pop(); boundary(); }
      else if (code === I64_SUB && i >= 2 && this.load(i - 2, c) && this.is(i - 1, I64_CONST) && this.ops[i - 1]!.imm >= 1 && this.store(i + 1, c)) charged = true;
      else if (code === CALL && imm === this.out) refueled = true;
      else if ((code === CALL || code === RETURN_CALL) && imm >= this.imported && !charged && !refueled) return `call of function ${imm} in an uncharged segment`;
      else if ((code === CALL_INDIRECT || code === RETURN_CALL_INDIRECT) && !charged && !refueled) return 'indirect call in an uncharged segment';
      else if ((code === BR || code === BR_IF) && badBackEdge(imm)) return 'loop back-edge without a charge and a test';
      else if (code === BR_TABLE && labels!.some(badBackEdge)) return 'loop back-edge (br_table) without a charge and a test';
    }
    return undefined;
  }

  /** `loop; counter < 0 → br_if 1`, where the block left runs a refuel right after its end. */
  private headerTest(i: number, c: Counter): boolean {
    if (!this.negative(i + 1, c) || !this.is(i + 4, BR_IF, 1)) return false;
    // The block the test leaves opens right before the loop, so the refuel after its end runs on every exit.
    const end = this.is(i - 1, BLOCK) ? this.endOf(i - 1) : -1;
    if (end < i) return false;
    let j = end + 1;
    while (this.is(j, LOCAL_GET) || this.is(j, GLOBAL_SET, this.fuel)) j++;
    return this.is(j, CALL, this.out);
  }
}

/** The bodies the instrumenter adds from fixed templates (guarded grow, chunked fill/copy), for this module. */
function helperBodies(g: HelperGlobals): Set<string> {
  const out = new Set<string>();
  const key = (b: Uint8Array) => Buffer.from(b).toString('base64');
  for (let m = 0; m < g.memoryCount; m++) {
    out.add(key(growHelperBody(m, g)));
    out.add(key(chunkedHelperBody('fill', m, m)(g)));
    for (let s = 0; s < g.memoryCount; s++) out.add(key(chunkedHelperBody('copy', m, s)(g)));
  }
  return out;
}

/**
 * Undefined when every defined function of the instrumented module `bytes` is metered (entry test, charged calls,
 * charged and tested loop back-edges), a known helper, or an export wrapper of a metered function; else the reason.
 */
export function unmeteredReason(bytes: Uint8Array): string | undefined {
  try {
    const sections = readSections(bytes);
    const layout = readLayout(sections);
    const exported = (name: string) => layout.exports.find((e) => e.name === name)?.index;
    const funcImports = layout.imports.filter((i) => i.kind === 'func');
    const out = funcImports.findIndex((i) => i.module === '__ari' && i.name === 'out_of_fuel');
    const fuel = exported('__ari_fuel');
    const [maxPages, oom, extraBytes] = ['__ari_mem_max_pages', '__ari_oom', '__ari_extra_bytes'].map(exported);
    if (out < 0 || fuel === undefined || maxPages === undefined || oom === undefined || extraBytes === undefined) return 'not an instrumented module';
    const g: HelperGlobals = { fuel, outOfFuelFunc: out, maxPages, oom, extraBytes, memoryCount: layout.memories.length };
    const helpers = helperBodies(g);
    const code = sections.find((s) => s.id === SEC.code);
    const r = new Reader(code?.payload ?? new Uint8Array([0]));
    const bodies = Array.from({ length: r.u32() }, () => r.bytes(r.u32()));
    const base = funcImports.length;
    const checks = bodies.map((b, i) => new BodyCheck(decode(b, `function ${base + i}`), fuel, out, base).run());
    for (let i = 0; i < bodies.length; i++) {
      const body = Buffer.from(bodies[i]!);
      if (checks[i] === undefined || helpers.has(body.toString('base64'))) continue;
      // An export wrapper: `call T` of a metered function T (not itself), then a test on the way out.
      const target = decode(body, `function ${base + i}`).find((op) => op.code === CALL)?.imm ?? -1;
      const params = layout.typeParams[layout.funcTypes[i]!]!.length;
      const wrapper = target >= base && target !== base + i && checks[target - base] === undefined
        && body.equals(Buffer.from(exportWrapperBody(target, params, fuel, out)));
      if (!wrapper) return `function ${base + i}: ${checks[i]}`;
    }
    return undefined;
  } catch (e) {
    return `cannot read the instrumented module: ${(e as Error).message}`;
  }
}
