// A few shared words per worker that must be readable while its thread is busy: the cancel flag the pool sets,
// and the fuel the running task has consumed so far, which the worker publishes at every fuel slice (so a task
// the pool has to abandon still reports the fuel it spent).

const BYTES = 16;

export interface ControlViews {
  /** [0] non-zero = cancel the running task at its next fuel slice. */
  cancel: Int32Array;
  /** [0] fuel consumed by the running task, as of its last slice. */
  fuel: BigInt64Array;
}

export function createControlBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(BYTES);
}

export function controlViews(buffer: SharedArrayBuffer): ControlViews {
  return { cancel: new Int32Array(buffer, 0, 1), fuel: new BigInt64Array(buffer, 8, 1) };
}
