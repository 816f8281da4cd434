// Emits the code that reads, charges and tests the fuel counter (a local in looping functions, else the global).
import type { Writer } from './writer.js';

const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, GLOBAL_GET = 0x23, GLOBAL_SET = 0x24;
const I64_CONST = 0x42, I64_SUB = 0x7d, I64_LT_S = 0x53, IF = 0x04, VOID = 0x40, END = 0x0b, CALL = 0x10;

export class FuelCounter {
  constructor(
    /** Keep the counter in local `local` (stored to the global around calls and on the way out). */
    readonly useLocal: boolean,
    readonly local: number,
    readonly global: number,
    readonly outOfFuelFunc: number,
  ) {}

  load(w: Writer): Writer {
    return this.useLocal ? w.u8(LOCAL_GET).u32(this.local) : w.u8(GLOBAL_GET).u32(this.global);
  }

  store(w: Writer): Writer {
    return this.useLocal ? w.u8(LOCAL_SET).u32(this.local) : w.u8(GLOBAL_SET).u32(this.global);
  }

  /** Makes the global current before anything else can read it (calls, returns, helpers). */
  flush(w: Writer): Writer {
    return this.useLocal ? w.u8(LOCAL_GET).u32(this.local).u8(GLOBAL_SET).u32(this.global) : w;
  }

  /** Picks up what a call or the host changed. */
  reload(w: Writer): Writer {
    return this.useLocal ? w.u8(GLOBAL_GET).u32(this.global).u8(LOCAL_SET).u32(this.local) : w;
  }

  /** Asks the host for more fuel (it throws when the budget or the deadline is spent). */
  refuel(w: Writer): Writer {
    return this.reload(this.flush(w).u8(CALL).u32(this.outOfFuelFunc));
  }

  /** Subtracts a constant. */
  charge(w: Writer, n: number): Writer {
    return n > 0 ? this.store(this.load(w).u8(I64_CONST).s64(n).u8(I64_SUB)) : w;
  }

  /** Subtracts the i64 that `amount` pushes. */
  chargeDynamic(w: Writer, amount: (w: Writer) => void): Writer {
    this.load(w);
    amount(w);
    return this.store(w.u8(I64_SUB));
  }

  /** `if counter < 0 { refuel }`, stack-neutral. */
  test(w: Writer): Writer {
    this.load(w).ops(I64_CONST, 0x00, I64_LT_S, IF, VOID);
    return this.refuel(w).u8(END);
  }

  /** The function's first charge and test; `scratch` (an i64 local) carries the value when the global is the counter. */
  entry(w: Writer, n: number): Writer {
    w.u8(GLOBAL_GET).u32(this.global).u8(I64_CONST).s64(n).ops(I64_SUB, LOCAL_TEE).u32(this.local);
    if (!this.useLocal) w.u8(GLOBAL_SET).u32(this.global).u8(LOCAL_GET).u32(this.local);
    w.ops(I64_CONST, 0x00, I64_LT_S, IF, VOID);
    return this.refuel(w).u8(END);
  }
}
