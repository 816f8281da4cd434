// Instances built while a worker is idle, so a task does not wait for instantiation (mostly allocating a fresh
// linear memory and tables): each is used by exactly one task, and all of a worker's spares together are bounded
// by their total footprint (linear memory, tables, globals, instrumentation), not by their linear memory alone.
// No guest code runs before a task takes one: start functions are deferred and an unarmed meter refuses fuel.

/** Total bytes all spares of one worker may hold while idle. */
export const MAX_SPARE_BYTES = 16 * 1024 * 1024;
/** Modules with a spare per worker (the most recently run ones). */
const MAX_SPARES = 4;
/** ARI_WASM_SPARE=0 turns spares off, for A/B runs; read once, not per task. */
const SPARES_ENABLED = process.env.ARI_WASM_SPARE !== '0';

/** One worker's spare budget, shared by core-module and component spares. */
const budget = { used: 0 };

export class Spares<K extends object, V> {
  private readonly held = new Map<K, { value: V; bytes: number }>();
  /** Keys whose instantiation failed, ran guest code, or holds too much: always instantiated on the task's clock. */
  private readonly refused = new WeakSet<K>();

  take(key: K): V | undefined {
    const s = this.held.get(key);
    if (!s) return undefined;
    this.held.delete(key);
    budget.used -= s.bytes;
    return s.value;
  }

  /** Builds a spare for `key` unless one is held; `build` gives the value and its footprint, or throws / undefined to refuse. */
  offer(key: K, build: () => { value: V; bytes: number } | undefined): void {
    if (!SPARES_ENABLED || this.held.has(key) || this.refused.has(key)) return;
    let built: { value: V; bytes: number } | undefined;
    try {
      built = build();
    } catch {
      built = undefined;
    }
    if (!built || built.bytes > MAX_SPARE_BYTES) {
      this.refused.add(key);
      return;
    }
    for (const k of this.held.keys()) {
      if (budget.used + built.bytes <= MAX_SPARE_BYTES && this.held.size < MAX_SPARES) break;
      this.take(k);
    }
    if (budget.used + built.bytes > MAX_SPARE_BYTES) return;
    this.held.set(key, built);
    budget.used += built.bytes;
  }

  refuse(key: K): void {
    this.refused.add(key);
    this.take(key);
  }
}

/** Bytes spares hold in this worker right now (for tests). */
export function spareBytes(): number {
  return budget.used;
}
