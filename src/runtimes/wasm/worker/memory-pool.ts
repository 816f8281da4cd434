// Linear memories reused across tasks instead of reallocated (as wasmtime's pooling allocator does): a memory comes
// back zeroed, at its initial size; one that grew is dropped. Each instance still gets a memory of its own: a pooled
// memory is handed to one instance at a time, and nothing a task wrote survives its release.

export interface MemoryShape {
  /** Pages. */
  initial: number;
  /** Pages (the instrumenter's clamped maximum). */
  maximum: number;
}

const PAGE = 65536;
/** Memories above this initial size are not pooled: zeroing them would cost more than a fresh allocation. */
export const POOLED_MAX_BYTES = 4 * 1024 * 1024;
/** Idle memories kept per shape (a worker runs one task at a time: a few cover its spare and the next task). */
const PER_SHAPE = 4;
/** Bytes all idle memories of one worker may hold (zeroed pages are resident), whatever the number of shapes. */
const MAX_IDLE_BYTES = 16 * 1024 * 1024;
/** ARI_WASM_MEMORY_POOL=0 turns pooling off, for A/B runs; read once, not per task. */
const ENABLED = process.env.ARI_WASM_MEMORY_POOL !== '0';

const idle = new Map<string, WebAssembly.Memory[]>();
const stats = { created: 0, reused: 0 };
let idleBytes = 0;

const keyOf = (s: MemoryShape) => `${s.initial}:${s.maximum}`;

/** A zeroed memory of `shape` at its initial size: an idle one when the pool has it, else a new one. */
export function takeMemory(shape: MemoryShape): WebAssembly.Memory {
  const reused = ENABLED ? idle.get(keyOf(shape))?.pop() : undefined;
  if (reused) {
    idleBytes -= reused.buffer.byteLength;
    stats.reused++;
    return reused;
  }
  stats.created++;
  return new WebAssembly.Memory({ initial: shape.initial, maximum: shape.maximum });
}

/**
 * Gives back a memory whose instance will never run again: zeroed and kept if it is still at its initial size,
 * dropped if it grew (or the pool is full).
 */
export function releaseMemory(shape: MemoryShape, memory: WebAssembly.Memory): void {
  const bytes = shape.initial * PAGE;
  if (!ENABLED || bytes > POOLED_MAX_BYTES || memory.buffer.byteLength !== bytes) return;
  const key = keyOf(shape);
  const list = idle.get(key) ?? [];
  if (list.length >= PER_SHAPE || idleBytes + bytes > MAX_IDLE_BYTES) return;
  new Uint8Array(memory.buffer).fill(0);
  list.push(memory);
  idleBytes += bytes;
  idle.set(key, list);
}

/** Memories created and reused so far in this thread (for tests and A/B runs). */
export function memoryPoolStats(): { created: number; reused: number } {
  return { ...stats };
}
