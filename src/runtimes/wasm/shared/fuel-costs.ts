// Fuel slices and what host work costs in fuel: one unit is about one wasm instruction (~1 ns of guest code).
import { BYTES_PER_FUEL_SHIFT } from '../../../sandbox/wasm/costs.js';

/** Largest slice: ~1 ms of straight-line wasm, so the deadline is checked about every millisecond. */
export const FUEL_SLICE = 1_000_000;
/** Smallest slice, for code whose units are slow (host calls in the loop): keeps checks frequent. */
export const MIN_FUEL_SLICE = 10_000;

/**
 * Host functions charge before they work, in proportion to what they touch, so a loop of host calls cannot do
 * unbounded work for a fixed fuel price: a flat price per call, per iovec, and per byte moved.
 */
export const HOST_FUEL = {
  perCall: 20,
  perIovec: 16,
  /** Bytes per fuel unit: the instrumenter's price for memory.fill/copy, so host and guest bytes cost alike. */
  bytesPerUnit: 1 << BYTES_PER_FUEL_SHIFT,
} as const;

/** Host work on guest bytes (random_get) runs in chunks of this size, each charged and checked before it runs. */
export const HOST_CHUNK_BYTES = 1 << 20;

/** Fuel a host call that moves `bytes` bytes over `vectors` iovecs costs. */
export function hostCost(bytes: number, vectors = 0): number {
  return HOST_FUEL.perCall + vectors * HOST_FUEL.perIovec + Math.ceil(bytes / HOST_FUEL.bytesPerUnit);
}
