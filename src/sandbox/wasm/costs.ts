// The instrumenter's price list: fuel for work proportional to its size, and bytes for what instances hold.
//
// Calibration (Node 20, x64, this repo's 2-core host): straight-line wasm runs about 1–7 operators per ns
// (1 fuel each); memory.fill/copy move 10–80 bytes per ns (slowest for large copies out of cache). One
// fuel per 16 bytes keeps a fill or copy at or above the fuel rate of ordinary code, so a slice of fuel
// never buys much more time than a slice of ordinary operators.

/** memory.fill/copy/init and memory.grow: one fuel per 2^BYTES_PER_FUEL_SHIFT (16) bytes. */
export const BYTES_PER_FUEL_SHIFT = 4;
/** memory.grow: fuel per page added (the kernel zeroes every page when it is first touched). */
export const FUEL_PER_PAGE = 65536 >> BYTES_PER_FUEL_SHIFT;
/** table.fill/copy/init/grow: fuel per element (V8 writes the entry and, for funcref, its dispatch slot). */
export const FUEL_PER_TABLE_ELEMENT = 2;

/**
 * memory.fill and memory.copy larger than this run in chunks of this size, each charged and checked
 * before it runs, so one huge operation cannot hold the thread between two fuel checks (~0.1 ms a chunk).
 */
export const BULK_CHUNK_BYTES = 1 << 20;

/**
 * A long straight-line or branchy stretch gets a budget test once this much fuel may have been charged
 * since the last test on any path (entry, loop headers, calls and function exits test anyway).
 */
export const CHECK_EVERY_FUEL = 1000;

/**
 * Bytes one table element costs an instance, as measured on V8 11 (Node 20, x64, no pointer
 * compression): a funcref entry is 28 bytes (the element plus its call_indirect dispatch slot:
 * signature, target, instance), rounded up to 32; an externref entry is 8.
 */
export const FUNCREF_ELEMENT_BYTES = 32;
export const EXTERNREF_ELEMENT_BYTES = 8;
/** Bytes per global (the widest value, v128, is 16; exported ones are boxed). */
export const GLOBAL_BYTES = 16;

export const elementBytes = (refType: number): number => (refType === 0x70 ? FUNCREF_ELEMENT_BYTES : EXTERNREF_ELEMENT_BYTES);
