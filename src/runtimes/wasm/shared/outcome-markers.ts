// Exceptions host functions throw to unwind a running wasm instance with a known ending (never traps).

/** Base class so the worker can tell our deliberate unwinds from the module's own traps. */
export abstract class StopMarker extends Error {}

export class OutOfFuel extends StopMarker {
  constructor() { super('fuel budget exhausted'); }
}

export class DeadlineExceeded extends StopMarker {
  constructor() { super('deadline exceeded'); }
}

export class CpuLimitExceeded extends StopMarker {
  constructor() { super('CPU time limit exceeded'); }
}

export class Cancelled extends StopMarker {
  constructor() { super('task cancelled'); }
}

export class OutputLimitExceeded extends StopMarker {
  /** `offered`: bytes the module tried to output (the claimed length, or all it wrote so far). */
  constructor(readonly cap: number, readonly offered: number) { super(`output of ${offered} bytes exceeds the ${cap}-byte cap`); }
}

/** The module needs more memory than its task allows (linear memory, tables and the rest of its footprint). */
export class MemoryLimitExceeded extends StopMarker {}

/** WASI proc_exit: the module ended itself with a code; not a failure by itself. */
export class ProcExit extends StopMarker {
  constructor(readonly code: number) { super(`exit ${code}`); }
}

/** Guest code asked for fuel before a task armed the meter (e.g. while a worker pre-instantiated it). */
export class NotArmed extends StopMarker {
  constructor() { super('guest code ran before its task started'); }
}

/** An inline run (on the daemon's main thread) used its one slice: the task is run again on a worker thread. */
export class InlineSliceSpent extends StopMarker {
  constructor() { super('inline slice spent'); }
}

/** The module broke the seed ABI (bad pointer, bad length): BAD_OUTPUT, never a host crash. */
export class AbiViolation extends StopMarker {}
