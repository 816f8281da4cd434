// checkJsonDepth: counts only structural brackets, so strings full of brackets pass and deep documents do not.
import { describe, expect, it } from 'vitest';
import { checkJsonDepth, MAX_INPUT_DEPTH } from '../../src/core/json-depth.js';

const b = (s: string) => Buffer.from(s);
const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('checkJsonDepth', () => {
  it('accepts the limit and refuses one level more, naming it', () => {
    expect(() => checkJsonDepth(b(nest(MAX_INPUT_DEPTH)))).not.toThrow();
    expect(() => checkJsonDepth(b(nest(MAX_INPUT_DEPTH + 1)))).toThrow(`input nests deeper than ${MAX_INPUT_DEPTH} levels`);
    expect(() => checkJsonDepth(b(`{"a":${nest(200_000)}}`))).toThrow(/nests deeper/);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const s = JSON.stringify({ text: '['.repeat(1000) + '\\"{{{' + '😀['.repeat(500) });
    expect(() => checkJsonDepth(b(s))).not.toThrow();
    expect(() => checkJsonDepth(b(`["\\"", ${nest(3)}]`), 4)).not.toThrow();
    expect(() => checkJsonDepth(b(`["\\\\", ${nest(4)}]`), 4)).toThrow();
  });
});
