// What an instance holds against memory_bytes: its linear memories plus its declared footprint outside them.
import { MemoryLimitExceeded } from '../shared/outcome-markers.js';

export const PAGE = 65536;

/** Throws MemoryLimitExceeded naming what is too big when footprint + linear memory pass the task's limit. */
export function checkFootprint(footprintBytes: number, linearBytes: number, limitBytes: number): void {
  if (footprintBytes + linearBytes <= limitBytes) return;
  const parts = linearBytes > 0 ? `${linearBytes} bytes of linear memory + ${footprintBytes}` : `${footprintBytes}`;
  throw new MemoryLimitExceeded(`the module needs ${parts} bytes of tables, globals, instrumentation and task document, above the memory limit of ${limitBytes} bytes`);
}
