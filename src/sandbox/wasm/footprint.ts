// What an instance of a module holds before it runs: memories, tables and globals, checked against the memory cap.
import { elementBytes, GLOBAL_BYTES } from './costs.js';
import { InstrumentError } from './instrument-error.js';
import { PAGE_BYTES } from './memory-clamp.js';
import type { Layout } from './module-layout.js';

export interface Footprint {
  /** Initial size of the memories the module defines. */
  memoryBytes: number;
  /** Declared minimum × element bytes of the tables the module defines (imports are counted by their owner). */
  tableBytes: number;
  globalBytes: number;
  /** tableBytes + globalBytes: the initial `__ari_extra_bytes`, what an instance holds besides linear memory. */
  extraBytes: number;
  totalBytes: number;
}

export function footprintOf(layout: Layout): Footprint {
  const importedMemories = layout.imports.filter((i) => i.kind === 'memory').length;
  const importedTables = layout.imports.filter((i) => i.kind === 'table').length;
  const memoryBytes = layout.memories.slice(importedMemories).reduce((s, m) => s + m.min * PAGE_BYTES, 0);
  const tableBytes = layout.tables.slice(importedTables).reduce((s, t) => s + t.limits.min * elementBytes(t.refType), 0);
  const globalBytes = layout.definedGlobals * GLOBAL_BYTES;
  return { memoryBytes, tableBytes, globalBytes, extraBytes: tableBytes + globalBytes, totalBytes: memoryBytes + tableBytes + globalBytes };
}

/** Refuses a module whose declared minimums alone exceed the cap, naming the biggest part. */
export function checkFootprint(layout: Layout, fp: Footprint, maxMemoryBytes: number): void {
  if (fp.totalBytes <= maxMemoryBytes) return;
  const above = `above memory_bytes ${maxMemoryBytes}`;
  const importedTables = layout.imports.filter((i) => i.kind === 'table').length;
  let big = -1;
  for (let i = importedTables; i < layout.tables.length; i++) {
    const t = layout.tables[i]!;
    if (big < 0 || t.limits.min * elementBytes(t.refType) > layout.tables[big]!.limits.min * elementBytes(layout.tables[big]!.refType)) big = i;
  }
  if (big >= 0) {
    const t = layout.tables[big]!;
    const eb = elementBytes(t.refType);
    const bytes = t.limits.min * eb;
    if (bytes > maxMemoryBytes) throw new InstrumentError(`table ${big} declares ${t.limits.min} elements × ${eb} bytes = ${bytes} bytes, ${above}`);
  }
  const defined = layout.tables.length - importedTables;
  const largest = big >= 0 ? `; largest: table ${big}, ${layout.tables[big]!.limits.min} elements` : '';
  throw new InstrumentError(
    `module declares ${fp.totalBytes} bytes before it runs (memories ${fp.memoryBytes}, ${defined} tables ${fp.tableBytes}${largest}, `
    + `${layout.definedGlobals} globals ${fp.globalBytes}), ${above}`,
  );
}
