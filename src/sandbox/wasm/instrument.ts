// Public entry: validates a core module, then meters fuel, bounds memory and tables, and checks imports.
import { appendVec, tableEntryCap, writeImports, writeMemories, writeTables, type Caps } from './bound-sections.js';
import { checkFootprint, footprintOf, type Footprint } from './footprint.js';
import { rewriteBody, type FuelContext } from './fuel.js';
import { rewriteElements, rewriteGlobals, writeExports } from './index-remap.js';
import { InstrumentError } from './instrument-error.js';
import { clampLimits, DEFAULT_MAX_TABLE_ENTRIES, memoryCapPages, pages } from './memory-clamp.js';
import { readLayout, type Export, type ExternKind, type Layout } from './module-layout.js';
import { ModulePlan } from './module-plan.js';
import { Reader } from './reader.js';
import { putSection, readSections, SEC, writeModule } from './sections.js';
import { Writer } from './writer.js';

export { InstrumentError };
export type { ExternKind, Footprint };

/** Names the instrumented module uses to talk to the host (.notes/wasm-instrument-interface.md). */
export const ARI = {
  importModule: '__ari',
  outOfFuel: 'out_of_fuel',
  fuelGlobal: '__ari_fuel',
  memMaxPagesGlobal: '__ari_mem_max_pages',
  oomGlobal: '__ari_oom',
  extraBytesGlobal: '__ari_extra_bytes',
  startExport: '__ari_start',
  memoryImport: 'memory',
} as const;

export interface InstrumentOptions {
  /**
   * Ceiling on what an instance holds, in bytes: memory maxima are clamped to floor(this/65536) pages,
   * table maxima to what fits; declared minimums (memories + tables + globals) above it are an error.
   */
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
  /** Preparation taking longer than this (validation + rewriting) is an InstrumentError. Default: no limit. */
  maxPrepareMillis?: number;
  /**
   * Default false: a module defining exactly one memory (and importing none) imports it instead, as
   * `__ari.memory` with the same clamped limits, so the host can hand it a pooled, zeroed memory per instance.
   */
  importMemory?: boolean;
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
  /** What one instance holds before running; `extraBytes` is the initial `__ari_extra_bytes`. */
  footprint: Footprint;
  /** With importMemory: the limits, in pages, of the memory the host must supply as `__ari.memory`. */
  importedMemory?: { initial: number; maximum: number };
}

export function instrumentModule(original: Uint8Array, opts: InstrumentOptions): InstrumentedModule {
  const checkTime = prepareClock(opts.maxPrepareMillis);
  // Validate first: rewriting could otherwise turn an invalid module into a valid one.
  if (!WebAssembly.validate(original as Uint8Array<ArrayBuffer>)) throw new InstrumentError('invalid module: WebAssembly.validate rejected it');
  checkTime('validating');
  const sections = readSections(original).filter((s) => s.id !== SEC.custom);
  if (sections.some((s) => s.id === SEC.tag)) throw new InstrumentError('tag section found (exception handling is not supported)');
  const layout = readLayout(sections);
  checkNames(layout, opts);
  const caps: Caps = { pages: memoryCapPages(opts.maxMemoryBytes), tableEntries: tableEntryCap(opts.maxTableEntries ?? DEFAULT_MAX_TABLE_ENTRIES, opts.maxMemoryBytes) };
  const memories = writeMemories(layout, caps); // a single memory over the cap gets its own message
  const importedMemory = opts.importMemory ? memoryToImport(layout, caps.pages) : undefined;
  const footprint = footprintOf(layout);
  checkFootprint(layout, footprint, opts.maxMemoryBytes);
  const deferStart = opts.deferStart ?? true;
  const plan = new ModulePlan(layout);
  const { globals: g, remap, added } = plan;
  const find = (id: number) => sections.find((s) => s.id === id)?.payload;

  // Code first: loops with parameters ask for extra types, sized operators for helpers.
  const code = rewriteCode(find(SEC.code), layout, (index, params) => plan.contextFor(index, params, checkTime), checkTime);
  // Every exported function (and the deferred start) returns through a wrapper that tests the budget.
  const exports: Export[] = layout.exports.map((e) => (e.kind === 'func' ? { ...e, index: plan.wrap(e.index) } : e));
  exports.push(
    { name: ARI.fuelGlobal, kind: 'global', index: g.fuel }, { name: ARI.memMaxPagesGlobal, kind: 'global', index: g.maxPages },
    { name: ARI.oomGlobal, kind: 'global', index: g.oom }, { name: ARI.extraBytesGlobal, kind: 'global', index: g.extraBytes },
  );
  if (layout.start !== undefined && deferStart) exports.push({ name: ARI.startExport, kind: 'func', index: plan.wrap(layout.start) });

  putSection(sections, SEC.type, appendVec(find(SEC.type), plan.ownTypeBytes()));
  const memoryImport = importedMemory
    ? [{ module: ARI.importModule, name: ARI.memoryImport, kind: 'memory' as const, limits: { flags: 1, min: importedMemory.initial, max: importedMemory.maximum } }]
    : [];
  // Memory index 0 stays memory 0: the module had no imported memory, so the import takes the defined one's place.
  putSection(sections, SEC.import, writeImports(layout, caps, [...memoryImport, { module: ARI.importModule, name: ARI.outOfFuel, kind: 'func', typeIndex: plan.types.void }]));
  putSection(sections, SEC.function, appendVec(find(SEC.function), added.typeIndices().map(u32)));
  putSection(sections, SEC.table, writeTables(layout, caps));
  putSection(sections, SEC.memory, importedMemory ? null : memories);
  const newGlobals = [[0x7e, 1, 0x42, 0, 0x0b], [0x7f, 1, 0x41, ...sleb(caps.pages), 0x0b], [0x7f, 1, 0x41, 0, 0x0b], [0x7e, 1, 0x42, ...sleb(footprint.extraBytes), 0x0b]];
  putSection(sections, SEC.global, rewriteGlobals(find(SEC.global), remap, newGlobals.map((b) => new Uint8Array(b))));
  putSection(sections, SEC.export, writeExports(exports));
  putSection(sections, SEC.start, layout.start === undefined || deferStart ? null : u32(remap(layout.start)));
  const elements = find(SEC.element);
  if (elements) putSection(sections, SEC.element, rewriteElements(elements, remap));
  putSection(sections, SEC.code, code.length + added.count ? appendVec(u32(0), [...code, ...added.writeBodies().map(sized)]) : null);

  const bytes = writeModule(sections);
  if (!WebAssembly.validate(bytes)) throw new InstrumentError('internal error: the instrumented module does not validate');
  checkTime('checking the result');
  return {
    bytes,
    imports: layout.imports.map(({ module, name, kind }) => ({ module, name, kind })),
    exports: layout.exports.map(({ name, kind }) => ({ name, kind })),
    hasStart: layout.start !== undefined,
    memoryCapPages: caps.pages,
    footprint,
    ...(importedMemory ? { importedMemory } : {}),
  };
}

/** The clamped limits of the module's one defined memory, when it can be imported instead (no memory imports). */
function memoryToImport(layout: Layout, capPages: number): { initial: number; maximum: number } | undefined {
  if (layout.memories.length !== 1 || layout.imports.some((i) => i.kind === 'memory')) return undefined;
  const l = clampLimits(layout.memories[0]!, capPages, 'memory 0', pages);
  return { initial: l.min, maximum: l.max! };
}

/** A `checkTime(stage)` that throws once `limitMs` has passed since preparation began. */
function prepareClock(limitMs: number | undefined): (stage: string) => void {
  if (limitMs === undefined) return () => {};
  const start = performance.now();
  return (stage) => {
    const ms = performance.now() - start;
    if (ms > limitMs) throw new InstrumentError(`preparation took longer than ${limitMs} ms (${Math.round(ms)} ms, while ${stage}); the module is too large or too complex to prepare`);
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
const sized = (body: Uint8Array) => new Writer().u32(body.length).bytes(body).finish();

/** The rewritten bodies of the module's own functions, each length-prefixed. */
function rewriteCode(payload: Uint8Array | undefined, layout: Layout, ctxFor: (i: number, params: number) => FuelContext, checkTime: (stage: string) => void): Uint8Array[] {
  const r = new Reader(payload ?? new Uint8Array([0]));
  const n = r.u32();
  if (n !== layout.funcTypes.length) throw new InstrumentError('invalid module: function and code section counts differ');
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const body = r.bytes(r.u32());
    const index = layout.importedFuncs + i;
    checkTime(`instrumenting function ${index}`);
    out.push(sized(rewriteBody(body, ctxFor(index, layout.typeParams[layout.funcTypes[i]!]!.length))));
  }
  return out;
}
