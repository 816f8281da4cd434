// One fuel budget shared by every core module of a component: each has its own `__ari_fuel` counter, and only
// the module asking for fuel holds a grant, so consumed = Σ over modules of (granted − remaining) stays exact.
import { FUEL_SLICE } from './fuel-meter.js';
import { Cancelled, DeadlineExceeded, OutOfFuel, type StopMarker } from './outcome-markers.js';

interface Counter {
  global?: WebAssembly.Global;
  granted: number;
}

/** Guest code asked for fuel before a task armed the meter (e.g. while a worker pre-instantiated a component). */
export class NotArmed extends Error {
  constructor() { super('component code ran before its task started'); }
}

export class ComponentFuelMeter {
  private consumedBefore = 0;
  private readonly counters: Counter[] = [];
  private budget = 0;
  private deadline = 0;
  private cancelFlag: Int32Array | undefined;
  /** The first deliberate stop; re-thrown on every later call so a module cannot swallow it. */
  stop: StopMarker | undefined;

  /** Until armed, every request for fuel throws NotArmed: counters start at 0, so no guest code runs. */
  arm(budget: number, deadline: number, cancelFlag: Int32Array): void {
    this.budget = budget;
    this.deadline = deadline;
    this.cancelFlag = cancelFlag;
  }

  /**
   * A counter for one core instance: `outOfFuel` is its `__ari.out_of_fuel` import, `bind` takes its exported
   * global once instantiated. A counter starts at 0, so the module's first charge asks for a grant.
   */
  counter(): { outOfFuel: () => void; bind: (g: WebAssembly.Global | undefined) => void } {
    const c: Counter = { granted: 0 };
    this.counters.push(c);
    return {
      outOfFuel: () => this.refuel(c),
      bind: (g) => { c.global = g; },
    };
  }

  /**
   * Settling every counter here is safe: instrumented code stores its counter to the global before any call
   * (this one included) and reloads it after, so modules suspended further up the stack hold nothing in locals.
   */
  private refuel(asking: Counter): void {
    if (this.stop) throw this.stop;
    if (!this.cancelFlag) throw new NotArmed();
    for (const c of this.counters) {
      if (!c.global) continue;
      this.consumedBefore += c.granted - Number(c.global.value as bigint);
      c.granted = 0;
      c.global.value = 0n;
    }
    if (this.consumedBefore > this.budget) throw this.halt(new OutOfFuel());
    if (Date.now() > this.deadline) throw this.halt(new DeadlineExceeded());
    if (Atomics.load(this.cancelFlag, 0) !== 0) throw this.halt(new Cancelled());
    if (!asking.global) return;
    asking.granted = Math.max(0, Math.min(FUEL_SLICE, this.budget - this.consumedBefore));
    asking.global.value = BigInt(asking.granted);
  }

  /** Fuel used so far; exactly the budget once OUT_OF_FUEL was raised. */
  consumed(): number {
    if (this.stop instanceof OutOfFuel) return this.budget;
    let inSlices = 0;
    for (const c of this.counters) if (c.global) inSlices += c.granted - Number(c.global.value as bigint);
    return this.consumedBefore + inSlices;
  }

  private halt(marker: StopMarker): StopMarker {
    this.stop = marker;
    return marker;
  }
}
