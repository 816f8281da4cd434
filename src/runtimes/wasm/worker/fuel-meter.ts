// The one fuel meter for core modules and components: hands out slices to each instance's `__ari_fuel` counter,
// charges host work, and between slices checks the deadline, the cancel flag and the thread's CPU clock.
import { FUEL_SLICE, MIN_FUEL_SLICE } from '../shared/fuel-costs.js';
import { Cancelled, CpuLimitExceeded, DeadlineExceeded, InlineSliceSpent, NotArmed, OutOfFuel, type StopMarker } from '../shared/outcome-markers.js';
import { threadCpuNs } from './thread-cpu.js';

/** A slice that took longer than this shrinks the next ones; one much faster grows them back. */
const SLICE_TARGET_MS = 2;

export interface MeterTask {
  budget: number;
  /** Absolute Date.now() after which the task is TIMEOUT. */
  deadline: number;
  cancel: Int32Array;
  /** CPU time of this thread the task may use (cpu_millis). */
  cpuMillis: number;
  /** Called at every slice boundary (about every millisecond of guest code). */
  onSlice?: () => void;
  /** Where the fuel consumed so far is published at every slice boundary, for the pool to read. */
  published?: BigInt64Array;
  /**
   * An inline run on the daemon's main thread: no fuel beyond `fuel`, no host work after performance.now() passes
   * `untilMs`; past either the meter stops the run with InlineSliceSpent (it is then run on a worker). Memory may
   * grow by `growPages` at most (a refused grow flags OOM, so the run is then made again on a worker).
   */
  inline?: { fuel: number; untilMs: number; growPages: number };
}

/** What the pool shares with the worker for each task: its cancel flag and where fuel is published. */
export type TaskControl = Pick<MeterTask, 'cancel' | 'published' | 'inline'>;

interface Counter {
  global?: WebAssembly.Global;
  granted: number;
}

/**
 * Each core instance has its own counter and only the one asking holds a grant, so consumed = Σ over counters of
 * (granted − remaining) + host charges stays exact. Settling every counter at a refuel is safe: instrumented code
 * stores its counter to the global before any call and reloads it after, so suspended frames hold nothing in locals.
 */
export class FuelMeter {
  private consumedBefore = 0;
  private readonly counters: Counter[] = [];
  private task: MeterTask | undefined;
  private sliceSize = FUEL_SLICE;
  private grantedAt = 0;
  private cpuStartNs: number | null = null;
  private cpuStartWall = 0;
  /** Host-charged fuel since the clocks were last checked. */
  private hostSinceCheck = 0;
  /** The first deliberate stop; re-thrown on every later call so a module cannot swallow it. */
  stop: StopMarker | undefined;

  /** Until armed, every request for fuel throws NotArmed: counters start at 0, so no guest code runs. */
  arm(task: MeterTask): void {
    this.task = task;
    // An inline run is one short synchronous slice: its wall time bounds its CPU time without a read of /proc.
    this.cpuStartNs = task.inline ? null : threadCpuNs();
    this.cpuStartWall = performance.now();
  }

  get armed(): boolean {
    return this.task !== undefined;
  }

  /** A counter for one core instance: `outOfFuel` is its `__ari.out_of_fuel` import, `bind` takes its exported global. */
  counter(): { outOfFuel: () => void; bind: (g: WebAssembly.Global | undefined) => void } {
    const c: Counter = { granted: 0 };
    this.counters.push(c);
    return { outOfFuel: () => this.refuel(c), bind: (g) => { c.global = g; } };
  }

  /** Host work, charged before it is done: OUT_OF_FUEL when it does not fit; the clocks are checked often. */
  charge(units: number): void {
    if (this.stop) throw this.stop;
    const task = this.task;
    if (!task) throw new NotArmed();
    this.consumedBefore += units;
    if (this.consumed() > task.budget) throw this.halt(new OutOfFuel());
    if (task.inline && (this.consumed() > task.inline.fuel || performance.now() > task.inline.untilMs)) throw this.halt(new InlineSliceSpent());
    this.hostSinceCheck += units;
    // Host work costs more wall time per unit than guest code: look at the clocks after the smallest slice of it.
    if (this.hostSinceCheck >= MIN_FUEL_SLICE) this.checkClocks(task);
  }

  /** Fuel used so far; exactly the budget once OUT_OF_FUEL was raised. */
  consumed(): number {
    if (this.stop instanceof OutOfFuel) return this.task!.budget;
    let inSlices = 0;
    for (const c of this.counters) if (c.global) inSlices += c.granted - Number(c.global.value as bigint);
    return this.consumedBefore + inSlices;
  }

  /** The task used more than its budget (a charge past the last check must never end COMPLETED). */
  overBudget(): boolean {
    return this.task !== undefined && this.consumed() > this.task.budget;
  }

  private refuel(asking: Counter): void {
    if (this.stop) throw this.stop;
    const task = this.task;
    if (!task) throw new NotArmed();
    for (const c of this.counters) {
      if (!c.global) continue;
      this.consumedBefore += c.granted - Number(c.global.value as bigint);
      c.granted = 0;
      c.global.value = 0n;
    }
    this.adaptSlice(performance.now() - this.grantedAt);
    if (this.consumedBefore > task.budget) throw this.halt(new OutOfFuel());
    // An inline run gets one grant: asking again means it needs more than the main thread may give it.
    const limit = task.inline ? Math.min(task.budget, task.inline.fuel) : task.budget;
    if (task.inline && this.consumedBefore >= limit && limit < task.budget) throw this.halt(new InlineSliceSpent());
    this.checkClocks(task);
    if (!asking.global) return;
    this.grantedAt = performance.now();
    asking.granted = Math.max(0, Math.min(this.sliceSize, limit - this.consumedBefore));
    asking.global.value = BigInt(asking.granted);
  }

  private checkClocks(task: MeterTask): void {
    this.hostSinceCheck = 0;
    if (task.published) Atomics.store(task.published, 0, BigInt(this.consumed()));
    if (Date.now() > task.deadline) throw this.halt(new DeadlineExceeded());
    if (Atomics.load(task.cancel, 0) !== 0) throw this.halt(new Cancelled());
    if (this.cpuMs() > task.cpuMillis) throw this.halt(new CpuLimitExceeded());
    task.onSlice?.();
  }

  /** CPU time of this thread since arm (wall time where the kernel does not expose a thread clock). */
  private cpuMs(): number {
    const now = this.cpuStartNs === null ? null : threadCpuNs();
    return now === null ? performance.now() - this.cpuStartWall : (now - this.cpuStartNs!) / 1e6;
  }

  /** Fuel units cost different wall time (a host call is one unit): size slices by time, not count. */
  private adaptSlice(tookMs: number): void {
    if (tookMs > SLICE_TARGET_MS) this.sliceSize = Math.max(MIN_FUEL_SLICE, Math.floor(this.sliceSize / 4));
    else if (tookMs < SLICE_TARGET_MS / 4) this.sliceSize = Math.min(FUEL_SLICE, this.sliceSize * 2);
  }

  private halt(marker: StopMarker): StopMarker {
    this.stop = marker;
    return marker;
  }
}
