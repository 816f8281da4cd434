// Bytes an instance of a core module holds outside its linear memories, from its declarations (the instrumenter's
// price list: tables at their initial size × element bytes, globals), plus the instrumenter's own globals.
import { GLOBAL_BYTES } from '../../../sandbox/wasm/costs.js';
import { footprintOf } from '../../../sandbox/wasm/footprint.js';
import { readLayout } from '../../../sandbox/wasm/module-layout.js';
import { readSections, SEC } from '../../../sandbox/wasm/sections.js';

/** The globals instrumentation adds (fuel counter, memory cap, oom flag, and room for more). */
const INSTRUMENTATION_BYTES = 8 * GLOBAL_BYTES;

/** `original`: the module as the agent shipped it (already validated and instrumented successfully). */
export function extraBytesOf(original: Uint8Array): number {
  const layout = readLayout(readSections(original).filter((s) => s.id !== SEC.custom));
  return footprintOf(layout).extraBytes + INSTRUMENTATION_BYTES;
}
