// Bounds linear memories and tables: clamped declared maxima, and a guarded replacement for memory.grow.
import { InstrumentError } from './instrument-error.js';
import type { Limits } from './module-layout.js';
import { Writer } from './writer.js';

export const PAGE_BYTES = 65536;
/** wasm32 cannot address more than 4 GiB. */
const MAX_PAGES = 65536;
export const DEFAULT_MAX_TABLE_ENTRIES = 100_000;

export function memoryCapPages(maxMemoryBytes: number): number {
  if (!(maxMemoryBytes >= 0)) throw new InstrumentError(`maxMemoryBytes must be a non-negative number, got ${maxMemoryBytes}`);
  return Math.min(MAX_PAGES, Math.floor(maxMemoryBytes / PAGE_BYTES));
}

/** The limits with their maximum clamped to `cap`; an initial size above the cap is an error. */
export function clampLimits(limits: Limits, cap: number, what: string, unit: (n: number) => string): Limits {
  if (limits.min > cap) throw new InstrumentError(`${what} initial size ${unit(limits.min)} is above the limit of ${unit(cap)}`);
  return { flags: 1, min: limits.min, max: Math.min(limits.max ?? cap, cap) };
}

export const pages = (n: number) => `${n} pages (${n * PAGE_BYTES} bytes)`;
export const entries = (n: number) => `${n} entries`;

export function writeLimits(w: Writer, l: Limits): void {
  w.u8(l.max === undefined ? 0 : 1).u32(l.min);
  if (l.max !== undefined) w.u32(l.max);
}

export interface GrowGlobals {
  maxPages: number;
  oom: number;
}

/**
 * Body of `[delta: i32] -> [i32]` standing in for `memory.grow memIdx`: refuses (-1, oom=1) when the
 * new size would pass the `__ari_mem_max_pages` global, and flags oom when the engine refuses too.
 */
export function growHelperBody(memIdx: number, g: GrowGlobals): Uint8Array {
  const w = new Writer();
  w.u32(1).u32(1).u8(0x7f); // one local: the grow result
  w.u8(0x3f).u32(memIdx).u8(0xad); // memory.size; i64.extend_i32_u
  w.ops(0x20, 0x00, 0xad, 0x7c); // local.get 0; i64.extend_i32_u; i64.add
  w.u8(0x23).u32(g.maxPages).u8(0xad).u8(0x56); // global.get max; i64.extend_i32_u; i64.gt_u
  w.ops(0x04, 0x40, 0x41, 0x01).u8(0x24).u32(g.oom).ops(0x41, 0x7f, 0x0f, 0x0b); // if: oom=1; return -1; end
  w.ops(0x20, 0x00, 0x40).u32(memIdx).ops(0x22, 0x01); // local.get 0; memory.grow; local.tee 1
  w.ops(0x41, 0x7f, 0x46, 0x04, 0x40, 0x41, 0x01).u8(0x24).u32(g.oom).u8(0x0b); // if -1: oom=1
  w.ops(0x20, 0x01, 0x0b); // local.get 1; end
  return w.finish();
}
