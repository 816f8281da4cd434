// The one output parser: depth and size bounds before JSON.parse, and an output path that never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_OUTPUT_CHARS, MAX_OUTPUT_DEPTH, parseAgentOutput, storableOutcome } from '../../src/contract/agent-output.js';
import { emptyUsage, type ExecutionResult } from '../../src/contract/outcome.js';
import { nestsDeeperThan } from '../../src/contract/json-nesting.js';

const nest = (n: number, inner = '') => `${'['.repeat(n)}${inner}${']'.repeat(n)}`;
const DEEP = `nested deeper than ${MAX_OUTPUT_DEPTH} levels`;
const completed = (output: unknown, metrics: Record<string, number> = {}): ExecutionResult => ({ status: 'COMPLETED', output, metrics, usage: emptyUsage() });

describe('parseAgentOutput bounds', () => {
  it('accepts a document exactly MAX_OUTPUT_DEPTH deep and refuses one level more, naming the bound', () => {
    // The document object is level 1, so its output may nest MAX_OUTPUT_DEPTH - 1 levels.
    expect(parseAgentOutput(`{"output":${nest(MAX_OUTPUT_DEPTH - 1)}}`).status).toBe('COMPLETED');
    const r = parseAgentOutput(`{"output":${nest(MAX_OUTPUT_DEPTH)}}`);
    expect(r).toMatchObject({ status: 'FAILED', error: { code: 'BAD_OUTPUT', message: `result document ${DEEP}` } });
  });

  it.each([['output', 8_000], ['output', 20_000], ['error', 20_000], ['metrics', 20_000], ['output', 1_000_000]])('%s nested %i deep is BAD_OUTPUT', (where, depth) => {
    const doc = where === 'metrics' ? `{"output":1,"metrics":{"a":${nest(depth)}}}` : `{"${where}":${nest(depth)}}`;
    expect(parseAgentOutput(doc)).toMatchObject({ status: 'FAILED', error: { code: 'BAD_OUTPUT', message: `result document ${DEEP}` } });
  });

  it('a non-zero exit still says AGENT_ERROR, whatever it printed', () => {
    expect(parseAgentOutput(`{"output":${nest(9_000)}}`, { exitCode: 3 })).toMatchObject({ error: { code: 'AGENT_ERROR' } });
  });

  it('brackets inside strings, escapes included, do not count', () => {
    const s = JSON.stringify({ output: { text: `${'['.repeat(10_000)}\\"{{{${'😀['.repeat(500)}` } });
    expect(parseAgentOutput(s).status).toBe('COMPLETED');
    expect(nestsDeeperThan(`["\\\\", ${nest(4)}]`, 4)).toBe(true);
    expect(nestsDeeperThan(`["\\"", ${nest(3)}]`, 4)).toBe(false);
  });

  it('a document above the size bound is refused before parsing', () => {
    const huge = `{"output":"${'x'.repeat(MAX_OUTPUT_CHARS)}"}`;
    expect(parseAgentOutput(huge)).toMatchObject({ status: 'FAILED', error: { code: 'BAD_OUTPUT', message: expect.stringContaining('larger than') } });
  });
});

describe('storableOutcome: the last line of the output path', () => {
  it('passes ordinary outcomes through unchanged (same object)', () => {
    const r = completed({ result: [1, 'two', { three: null }] }, { n: 1 });
    expect(storableOutcome(r)).toBe(r);
  });

  it.each([
    ['a cyclic output', (() => { const o: Record<string, unknown> = {}; o.self = o; return o; })(), DEEP],
    ['a BigInt', { n: 10n }, 'type bigint'],
    ['a function', { f: () => 1 }, 'type function'],
    ['a too-deep value built in memory', (() => { let v: unknown = 1; for (let i = 0; i < 30_000; i++) v = [v]; return v; })(), DEEP],
  ])('%s becomes FAILED BAD_OUTPUT, usage kept, and serialises', (_name, output, why) => {
    const r = storableOutcome({ ...completed(output), usage: { ...emptyUsage(), wallMs: 7 } });
    expect(r).toMatchObject({ status: 'FAILED', error: { code: 'BAD_OUTPUT', message: expect.stringContaining(why) }, usage: { wallMs: 7 } });
    expect(() => JSON.stringify(r)).not.toThrow();
  });

  it('non-finite metrics are refused too', () => {
    expect(storableOutcome(completed(1, { x: Number.NaN })).error?.code).toBe('BAD_OUTPUT');
  });

  it('property: whatever JSON an agent prints, the parsed outcome is bounded and always serialises', () => {
    fc.assert(fc.property(fc.jsonValue({ depthSize: 'large', maxDepth: 80 }), fc.constantFrom('output', 'error', 'metrics'), (value, where) => {
      const doc = JSON.stringify(where === 'metrics' ? { output: 1, metrics: value } : { [where]: value });
      const parsed = parseAgentOutput(doc);
      const r = storableOutcome({ ...parsed, usage: emptyUsage() });
      expect(() => JSON.stringify(r)).not.toThrow();
      if (nestsDeeperThan(doc, MAX_OUTPUT_DEPTH)) expect(r.error?.code).toBe('BAD_OUTPUT');
      else if (where === 'output') expect(r).toMatchObject({ status: 'COMPLETED', output: JSON.parse(doc).output });
    }), { numRuns: 300 });
  });
});
