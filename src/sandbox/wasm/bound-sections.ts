// Re-encodes the import, table and memory sections with every memory and table bounded by its cap.
import { elementBytes } from './costs.js';
import { clampLimits, entries, pages, writeLimits } from './memory-clamp.js';
import { KINDS, type Import, type Layout } from './module-layout.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export interface Caps {
  pages: number;
  /** Entry cap of a table with this element type: the entry limit, and what fits in the memory cap. */
  tableEntries: (refType: number) => number;
}

export function tableEntryCap(maxTableEntries: number, maxMemoryBytes: number): (refType: number) => number {
  return (refType) => Math.min(maxTableEntries, Math.floor(maxMemoryBytes / elementBytes(refType)));
}

/** A vector section with raw entries appended (the count is re-encoded, the old entries copied). */
export function appendVec(payload: Uint8Array | undefined, extra: (number[] | Uint8Array)[]): Uint8Array {
  const r = new Reader(payload ?? new Uint8Array([0]));
  const w = new Writer().u32(r.u32() + extra.length).bytes(r.buf.subarray(r.pos));
  for (const e of extra) w.bytes(e instanceof Uint8Array ? e : new Uint8Array(e));
  return w.finish();
}

export function writeImports(layout: Layout, caps: Caps, extra: Import[]): Uint8Array {
  const all: Import[] = [...layout.imports, ...extra];
  const w = new Writer().u32(all.length);
  let mem = 0;
  let table = 0;
  for (const i of all) {
    w.name(i.module).name(i.name).u8(KINDS.indexOf(i.kind));
    if (i.kind === 'func') w.u32(i.typeIndex!);
    else if (i.kind === 'tag') w.u8(0).u32(i.typeIndex!);
    else if (i.kind === 'global') w.u8(i.valType!).u8(i.mutable!);
    else if (i.kind === 'memory') writeLimits(w, clampLimits(i.limits!, caps.pages, `imported memory ${mem++}`, pages));
    else writeLimits(w.u8(i.valType!), clampLimits(i.limits!, caps.tableEntries(i.valType!), `imported table ${table++}`, entries));
  }
  return w.finish();
}

export function writeTables(layout: Layout, caps: Caps): Uint8Array | null {
  const imported = layout.imports.filter((i) => i.kind === 'table').length;
  const defined = layout.tables.slice(imported);
  if (!defined.length) return null;
  const w = new Writer().u32(defined.length);
  defined.forEach((t, i) => writeLimits(w.u8(t.refType), clampLimits(t.limits, caps.tableEntries(t.refType), `table ${imported + i}`, entries)));
  return w.finish();
}

export function writeMemories(layout: Layout, caps: Caps): Uint8Array | null {
  const imported = layout.imports.filter((i) => i.kind === 'memory').length;
  const defined = layout.memories.slice(imported);
  if (!defined.length) return null;
  const w = new Writer().u32(defined.length);
  defined.forEach((m, i) => writeLimits(w, clampLimits(m, caps.pages, `memory ${imported + i}`, pages)));
  return w.finish();
}
