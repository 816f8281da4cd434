// Bounds linear memories and tables: declared maxima clamped to the cap, initial sizes above it refused.
import { InstrumentError } from './instrument-error.js';
import type { Limits } from './module-layout.js';
import type { Writer } from './writer.js';

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
