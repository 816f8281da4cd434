// Public entry: validates a core module, then meters fuel, bounds memory and tables, and checks imports.
import { rewriteBody } from './fuel.js';
import { rewriteElements, rewriteGlobals, writeExports, type Remap } from './index-remap.js';
import { InstrumentError } from './instrument-error.js';
import {
  clampLimits, DEFAULT_MAX_TABLE_ENTRIES, entries, growHelperBody, memoryCapPages, pages, writeLimits,
} from './memory-clamp.js';
import { KINDS, readLayout, type Export, type ExternKind, type Import, type Layout } from './module-layout.js';
import { Reader } from './reader.js';
import { putSection, readSections, SEC, writeModule } from './sections.js';
import { Writer } from './writer.js';

export { InstrumentError };
export type { ExternKind };

/** Names the instrumented module uses to talk to the host. */
export const ARI = {
  importModule: '__ari',
  outOfFuel: 'out_of_fuel',
  fuelGlobal: '__ari_fuel',
  memMaxPagesGlobal: '__ari_mem_max_pages',
  oomGlobal: '__ari_oom',
  startExport: '__ari_start',
} as const;

export interface InstrumentOptions {
  /** Ceiling on linear memory in bytes: declared maxima are clamped to floor(this/65536) pages; a larger initial size is an error. */
  maxMemoryBytes: number;
  /** Imports the module may have; anything else is an InstrumentError naming the import. */
  allowImport: (module: string, name: string, kind: ExternKind) => boolean;
  /** Ceiling on table sizes (declared maxima clamped, larger initial size rejected). Default 100,000. */
  maxTableEntries?: number;
  /**
   * Default true: the start function is removed from the start section and exported as `__ari_start`,
   * so the host can call it after binding the fuel counter (a start function runs inside instantiation,
   * before the host could grant any fuel).
   */
  deferStart?: boolean;
}

export interface InstrumentedModule {
  bytes: Uint8Array<ArrayBuffer>;
  /** The original module's imports and exports (the instrumented one adds the `__ari` ones). */
  imports: { module: string; name: string; kind: ExternKind }[];
  exports: { name: string; kind: ExternKind }[];
  /** The module had a start function; with deferStart it is exported as `__ari_start`. */
  hasStart: boolean;
  /** Initial value of `__ari_mem_max_pages`. */
  memoryCapPages: number;
}

export function instrumentModule(original: Uint8Array, opts: InstrumentOptions): InstrumentedModule {
  // Validate first: rewriting could otherwise turn an invalid module into a valid one.
  if (!WebAssembly.validate(original as Uint8Array<ArrayBuffer>)) throw new InstrumentError('invalid module: WebAssembly.validate rejected it');
  const sections = readSections(original).filter((s) => s.id !== SEC.custom);
  if (sections.some((s) => s.id === SEC.tag)) throw new InstrumentError('tag section found (exception handling is not supported)');
  const layout = readLayout(sections);
  checkNames(layout, opts);
  const capPages = memoryCapPages(opts.maxMemoryBytes);
  const tableCap = opts.maxTableEntries ?? DEFAULT_MAX_TABLE_ENTRIES;
  const deferStart = opts.deferStart ?? true;

  const ownTypes = layout.typeParams.length; // [] -> [] then [i32] -> [i32]
  const oofFunc = layout.importedFuncs;
  const remap: Remap = (f) => (f < layout.importedFuncs ? f : f + 1);
  const growBase = layout.importedFuncs + 1 + layout.funcTypes.length;
  const globalBase = layout.importedGlobals + layout.definedGlobals;
  const g = { fuel: globalBase, maxPages: globalBase + 1, oom: globalBase + 2 };
  const find = (id: number) => sections.find((s) => s.id === id)?.payload;

  // Code first: loops with parameters ask for extra `[P] -> [P]` types.
  const loopTypes = new Map<number, number>();
  const paramsOnlyType = (t: number) => {
    let idx = loopTypes.get(t);
    if (idx === undefined) loopTypes.set(t, (idx = ownTypes + 2 + loopTypes.size));
    return idx;
  };
  const code = writeCode(find(SEC.code), layout, (index, paramCount) => ({
    funcIndex: index, paramCount, fuelGlobal: g.fuel, outOfFuelFunc: oofFunc, remapFunc: remap,
    typeParamCount: (t: number) => layout.typeParams[t]!.length,
    paramsOnlyType,
    growHelper: (m: number) => {
      if (m >= layout.memories.length) throw new InstrumentError(`function ${index}: memory.grow of missing memory ${m}`);
      return growBase + m;
    },
  }), { maxPages: g.maxPages, oom: g.oom });
  const loopTypeBytes = [...loopTypes.keys()].map((t) => {
    const p = layout.typeParams[t]!;
    return [0x60, p.length, ...p, p.length, ...p];
  });
  putSection(sections, SEC.type, appendVec(find(SEC.type), [[0x60, 0, 0], [0x60, 1, 0x7f, 1, 0x7f], ...loopTypeBytes]));
  putSection(sections, SEC.import, writeImports(layout, capPages, tableCap, ownTypes));
  putSection(sections, SEC.function, appendVec(find(SEC.function), layout.memories.map(() => u32(ownTypes + 1))));
  putSection(sections, SEC.table, writeTables(layout, tableCap));
  putSection(sections, SEC.memory, writeMemories(layout, capPages));
  const newGlobals = [[0x7e, 1, 0x42, 0, 0x0b], [0x7f, 1, 0x41, ...sleb(capPages), 0x0b], [0x7f, 1, 0x41, 0, 0x0b]];
  putSection(sections, SEC.global, rewriteGlobals(find(SEC.global), remap, newGlobals.map((b) => new Uint8Array(b))));
  const exports: Export[] = layout.exports.map((e) => (e.kind === 'func' ? { ...e, index: remap(e.index) } : e));
  exports.push({ name: ARI.fuelGlobal, kind: 'global', index: g.fuel }, { name: ARI.memMaxPagesGlobal, kind: 'global', index: g.maxPages }, { name: ARI.oomGlobal, kind: 'global', index: g.oom });
  if (layout.start !== undefined && deferStart) exports.push({ name: ARI.startExport, kind: 'func', index: remap(layout.start) });
  putSection(sections, SEC.export, writeExports(exports));
  putSection(sections, SEC.start, layout.start === undefined || deferStart ? null : u32(remap(layout.start)));
  const elements = find(SEC.element);
  if (elements) putSection(sections, SEC.element, rewriteElements(elements, remap));
  putSection(sections, SEC.code, code);

  const bytes = writeModule(sections);
  if (!WebAssembly.validate(bytes)) throw new InstrumentError('internal error: the instrumented module does not validate');
  return {
    bytes,
    imports: layout.imports.map(({ module, name, kind }) => ({ module, name, kind })),
    exports: layout.exports.map(({ name, kind }) => ({ name, kind })),
    hasStart: layout.start !== undefined,
    memoryCapPages: capPages,
  };
}

function checkNames(layout: Layout, opts: InstrumentOptions): void {
  for (const i of layout.imports) {
    const what = `import ${JSON.stringify(i.module)}.${JSON.stringify(i.name)} (${i.kind})`;
    if (i.module === ARI.importModule) throw new InstrumentError(`${what} uses the reserved module name ${ARI.importModule}`);
    if (!opts.allowImport(i.module, i.name, i.kind)) throw new InstrumentError(`${what} is not allowed`);
  }
  const reserved = layout.exports.find((e) => e.name.startsWith('__ari'));
  if (reserved) throw new InstrumentError(`export ${JSON.stringify(reserved.name)} uses the reserved __ari prefix`);
}

const u32 = (v: number) => new Writer().u32(v).finish();
const sleb = (v: number) => [...new Writer().s64(v).finish()];

/** A vector section with raw entries appended (the count is re-encoded, the old entries copied). */
function appendVec(payload: Uint8Array | undefined, extra: (number[] | Uint8Array)[]): Uint8Array {
  const r = new Reader(payload ?? new Uint8Array([0]));
  const w = new Writer().u32(r.u32() + extra.length).bytes(r.buf.subarray(r.pos));
  for (const e of extra) w.bytes(e instanceof Uint8Array ? e : new Uint8Array(e));
  return w.finish();
}

function writeImports(layout: Layout, capPages: number, tableCap: number, voidType: number): Uint8Array {
  const all: Import[] = [...layout.imports, { module: ARI.importModule, name: ARI.outOfFuel, kind: 'func', typeIndex: voidType }];
  const w = new Writer().u32(all.length);
  let mem = 0;
  let table = 0;
  for (const i of all) {
    w.name(i.module).name(i.name).u8(KINDS.indexOf(i.kind));
    if (i.kind === 'func') w.u32(i.typeIndex!);
    else if (i.kind === 'tag') w.u8(0).u32(i.typeIndex!);
    else if (i.kind === 'global') w.u8(i.valType!).u8(i.mutable!);
    else if (i.kind === 'memory') writeLimits(w, clampLimits(i.limits!, capPages, `imported memory ${mem++}`, pages));
    else writeLimits(w.u8(i.valType!), clampLimits(i.limits!, tableCap, `imported table ${table++}`, entries));
  }
  return w.finish();
}

function writeTables(layout: Layout, cap: number): Uint8Array | null {
  const imported = layout.imports.filter((i) => i.kind === 'table').length;
  const defined = layout.tables.slice(imported);
  if (!defined.length) return null;
  const w = new Writer().u32(defined.length);
  defined.forEach((t, i) => writeLimits(w.u8(t.refType), clampLimits(t.limits, cap, `table ${imported + i}`, entries)));
  return w.finish();
}

function writeMemories(layout: Layout, capPages: number): Uint8Array | null {
  const imported = layout.imports.filter((i) => i.kind === 'memory').length;
  const defined = layout.memories.slice(imported);
  if (!defined.length) return null;
  const w = new Writer().u32(defined.length);
  defined.forEach((m, i) => writeLimits(w, clampLimits(m, capPages, `memory ${imported + i}`, pages)));
  return w.finish();
}

type ContextFor = (funcIndex: number, paramCount: number) => Parameters<typeof rewriteBody>[1];

function writeCode(payload: Uint8Array | undefined, layout: Layout, ctxFor: ContextFor, growGlobals: { maxPages: number; oom: number }): Uint8Array | null {
  const r = new Reader(payload ?? new Uint8Array([0]));
  const n = r.u32();
  if (n !== layout.funcTypes.length) throw new InstrumentError('invalid module: function and code section counts differ');
  const w = new Writer().u32(n + layout.memories.length);
  for (let i = 0; i < n; i++) {
    const body = r.bytes(r.u32());
    const index = layout.importedFuncs + i;
    const out = rewriteBody(body, ctxFor(index, layout.typeParams[layout.funcTypes[i]!]!.length));
    w.u32(out.length).bytes(out);
  }
  layout.memories.forEach((_, m) => {
    const body = growHelperBody(m, growGlobals);
    w.u32(body.length).bytes(body);
  });
  return n + layout.memories.length ? w.finish() : null;
}
