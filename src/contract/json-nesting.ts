// Measures how deeply a JSON text nests, in one linear pass that never recurses, so a hostile document is refused
// before anything recursive (JSON.parse, JSON.stringify, structured clone, protobuf) walks it.

const OPEN_BRACE = 0x7b, OPEN_BRACKET = 0x5b, CLOSE_BRACE = 0x7d, CLOSE_BRACKET = 0x5d, QUOTE = 0x22, BACKSLASH = 0x5c;

/**
 * True when `text` opens more than `max` arrays/objects at once. Brackets inside strings do not count. Works on
 * UTF-16 text and on UTF-8 bytes alike: the ASCII code points it looks for never occur inside a surrogate pair or a
 * multi-byte sequence. Malformed JSON is left for JSON.parse to report; this only measures nesting.
 */
export function nestsDeeperThan(text: string | Uint8Array, max: number): boolean {
  return typeof text === 'string' ? scan(text.length, (i) => text.charCodeAt(i), max) : scan(text.length, (i) => text[i]!, max);
}

function scan(length: number, at: (i: number) => number, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
