// Bounds how deeply a client's JSON input nests, before anything recursive (hashing, schema checks, agents) walks it.
import { nestsDeeperThan } from '../contract/json-nesting.js';
import { invalid } from './domain-error.js';

export const MAX_INPUT_DEPTH = 128;

/** Malformed JSON is left for JSON.parse to report; this only refuses depth. */
export function checkJsonDepth(bytes: Uint8Array, max = MAX_INPUT_DEPTH): void {
  if (nestsDeeperThan(bytes, max)) throw invalid(`input nests deeper than ${max} levels`);
}
