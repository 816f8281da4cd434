// Frees a finished big instance at once. Tables live on V8's heap and linear memories behind it, and V8's
// heuristics let hundreds of MB of dead instances pile up in an idle worker; a full GC after a big task (off
// its clock: the result is already sent) keeps an idle worker near its baseline.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A task whose instance held at least this much (linear memory + tables + host buffers) is collected after. */
export const COLLECT_AFTER_BYTES = 32 * 1024 * 1024;

let gc: (() => void) | null | undefined;

/** Runs a full GC in this thread; false where the engine does not allow it. */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      // Only contexts created after the flag get a `gc` function: this one context, nothing else of ours.
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
  return typeof gc === 'function';
}
