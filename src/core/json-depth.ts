// Bounds how deeply a client's JSON input nests, before anything recursive (hashing, schema checks, agents) walks it.
import { invalid } from './domain-error.js';

export const MAX_INPUT_DEPTH = 128;

const OPEN_BRACE = 0x7b, OPEN_BRACKET = 0x5b, CLOSE_BRACE = 0x7d, CLOSE_BRACKET = 0x5d, QUOTE = 0x22, BACKSLASH = 0x5c;

/**
 * Scans the raw bytes (UTF-8 continuation bytes are never ASCII, so brackets inside multi-byte characters cannot
 * be miscounted). Malformed JSON is left for JSON.parse to report; this only refuses depth.
 */
export function checkJsonDepth(bytes: Uint8Array, max = MAX_INPUT_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > max) throw invalid(`input nests deeper than ${max} levels`);
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
}
