// Splits a module into its sections and reassembles them in the order the binary format requires.
import { InstrumentError } from './instrument-error.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export const SEC = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7,
  start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13,
} as const;

/** Position of each known section id in a module (tag sits between memory and global). */
const RANK: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export interface Section {
  id: number;
  payload: Uint8Array;
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || HEADER.some((b, i) => bytes[i] !== b)) throw new InstrumentError('invalid module: not a wasm core module (version 1)');
  const r = new Reader(bytes, 8);
  const out: Section[] = [];
  while (!r.done) {
    const id = r.u8();
    if (id !== SEC.custom && RANK[id] === undefined) throw new InstrumentError(`unsupported section id ${id}`);
    out.push({ id, payload: r.bytes(r.u32()) });
  }
  return out;
}

/** Replaces the section with `id`, or inserts it where its rank says; `null` removes it. */
export function putSection(sections: Section[], id: number, payload: Uint8Array | null): void {
  const at = sections.findIndex((s) => s.id === id);
  if (at >= 0) {
    if (payload) sections[at] = { id, payload };
    else sections.splice(at, 1);
    return;
  }
  if (!payload) return;
  const after = sections.findIndex((s) => s.id !== SEC.custom && RANK[s.id]! > RANK[id]!);
  sections.splice(after < 0 ? sections.length : after, 0, { id, payload });
}

export function writeModule(sections: Section[]): Uint8Array<ArrayBuffer> {
  const w = new Writer().ops(...HEADER);
  for (const s of sections) w.u8(s.id).u32(s.payload.length).bytes(s.payload);
  return w.finish();
}
