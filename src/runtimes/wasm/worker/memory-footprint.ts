// What an instance holds against memory_bytes: its linear memories, its bytes outside them (tables, globals: the
// instrumenter's `__ari_extra_bytes`, kept current by table.grow), and what the host holds for the task.
import { ARI } from '../../../sandbox/wasm/instrument.js';
import { MemoryLimitExceeded } from '../shared/outcome-markers.js';

export const PAGE = 65536;

/** Throws MemoryLimitExceeded naming what is too big when `held` + linear memory pass the task's limit. */
export function checkFootprint(heldBytes: number, linearBytes: number, limitBytes: number): void {
  if (heldBytes + linearBytes <= limitBytes) return;
  const parts = linearBytes > 0 ? `${linearBytes} bytes of linear memory + ${heldBytes}` : `${heldBytes}`;
  throw new MemoryLimitExceeded(`the module needs ${parts} bytes of tables, globals and task data, above the memory limit of ${limitBytes} bytes`);
}

/**
 * `__ari_mem_max_pages`: the instrumented grow and table.grow refuse once linear memory + extra bytes would pass
 * it, so only what the host holds (the task document) is taken off the limit here.
 */
export function capPages(limitBytes: number, hostBytes: number): number {
  return Math.floor(Math.max(0, limitBytes - hostBytes) / PAGE);
}

/** Σ of the instances' current `__ari_extra_bytes`, or `declared` when none exports it. */
export function extraBytes(instances: WebAssembly.Instance[], declared: number): number {
  let sum = 0;
  let found = false;
  for (const i of instances) {
    const g = (i.exports as Record<string, unknown>)[ARI.extraBytesGlobal];
    if (g instanceof WebAssembly.Global) {
      sum += Number(g.value as bigint);
      found = true;
    }
  }
  return found ? sum : declared;
}
