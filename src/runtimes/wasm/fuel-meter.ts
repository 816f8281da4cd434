// Host side of the instrumented fuel counter: hands out slices, checks deadline and cancel between them.
import { Cancelled, DeadlineExceeded, OutOfFuel, type StopMarker } from './outcome-markers.js';

/** Largest slice: ~1 ms of straight-line wasm, so the deadline is checked about every millisecond. */
export const FUEL_SLICE = 1_000_000;
/** Smallest slice, for code whose units are slow (host calls in the loop): keeps checks frequent. */
export const MIN_FUEL_SLICE = 10_000;
/** A slice that took longer than this shrinks the next ones; one much faster grows them back. */
const SLICE_TARGET_MS = 2;

export class FuelMeter {
  private consumedBefore = 0;
  private granted = 0;
  private counter: WebAssembly.Global | undefined;
  private sliceSize = FUEL_SLICE;
  private grantedAt = 0;
  /** The first deliberate stop; re-thrown on every later call so a module cannot swallow it. */
  stop: StopMarker | undefined;

  constructor(
    private readonly budget: number,
    private readonly deadline: number,
    private readonly cancelFlag: Int32Array,
    /** Called at every slice boundary (about every millisecond of guest code). */
    private readonly onSlice?: () => void,
  ) {}

  /** Binds the instance's exported `__ari_fuel` global and grants the first slice. */
  attach(counter: WebAssembly.Global | undefined): void {
    this.counter = counter;
    this.grant();
  }

  /** The `__ari.out_of_fuel` import: called by the module when its slice ran out. */
  readonly outOfFuel = (): void => {
    if (this.stop) throw this.stop;
    this.settle();
    this.adaptSlice(performance.now() - this.grantedAt);
    if (this.consumedBefore > this.budget) throw this.halt(new OutOfFuel());
    if (Date.now() > this.deadline) throw this.halt(new DeadlineExceeded());
    if (Atomics.load(this.cancelFlag, 0) !== 0) throw this.halt(new Cancelled());
    this.onSlice?.();
    this.grant();
  };

  /** Fuel used so far; exactly the budget once OUT_OF_FUEL was raised. */
  consumed(): number {
    if (this.stop instanceof OutOfFuel) return this.budget;
    const inSlice = this.counter ? this.granted - Number(this.counter.value as bigint) : 0;
    return this.consumedBefore + inSlice;
  }

  private settle(): void {
    if (!this.counter) return;
    this.consumedBefore += this.granted - Number(this.counter.value as bigint);
    this.granted = 0;
    this.counter.value = 0n;
  }

  /** Fuel units cost different wall time (a host call is one unit): size slices by time, not count. */
  private adaptSlice(tookMs: number): void {
    if (tookMs > SLICE_TARGET_MS) this.sliceSize = Math.max(MIN_FUEL_SLICE, Math.floor(this.sliceSize / 4));
    else if (tookMs < SLICE_TARGET_MS / 4) this.sliceSize = Math.min(FUEL_SLICE, this.sliceSize * 2);
  }

  private grant(): void {
    if (!this.counter) return;
    this.grantedAt = performance.now();
    this.granted = Math.max(0, Math.min(this.sliceSize, this.budget - this.consumedBefore));
    this.counter.value = BigInt(this.granted);
  }

  private halt(marker: StopMarker): StopMarker {
    this.stop = marker;
    return marker;
  }
}
