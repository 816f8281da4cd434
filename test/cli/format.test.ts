// Human output of task results: a lone `result` is unwrapped, everything else stays JSON.
import { describe, expect, it } from 'vitest';
import { decodeJson, formatFailure, formatOutput, responseToJson, table } from '../../src/cli/format.js';
import type { WireTaskResponse } from '../../src/server/wire-types.js';

const response = (over: Partial<WireTaskResponse>): WireTaskResponse => ({
  task_id: 't', agent_id: 'math', runtime: 'wasm', status: 'COMPLETED', output: Buffer.alloc(0), error: null,
  usage: null, metrics: {}, limits: null, capability: 'arithmetic', ...over,
});

describe('formatOutput', () => {
  it('unwraps a lone result', () => {
    expect(formatOutput({ result: 42 })).toBe('42');
    expect(formatOutput({ result: 'hi' })).toBe('hi');
    expect(formatOutput({ result: [1, 2] })).toBe('[\n  1,\n  2\n]');
  });
  it('keeps other outputs as JSON', () => {
    expect(formatOutput({ result: 1, unit: 'm' })).toBe('{\n  "result": 1,\n  "unit": "m"\n}');
    expect(formatOutput(null)).toBe('null');
    expect(formatOutput(7)).toBe('7');
  });
});

describe('responses', () => {
  it('--json carries the output as JSON, not bytes', () => {
    const json = responseToJson(response({ output: Buffer.from('{"result":42}') }));
    expect(json.output).toEqual({ result: 42 });
    expect(JSON.parse(JSON.stringify(json)).output).toEqual({ result: 42 });
  });
  it('decodes empty and non-JSON output honestly', () => {
    expect(decodeJson(Buffer.alloc(0))).toBeNull();
    expect(decodeJson(Buffer.from('not json'))).toBe('not json');
  });
  it('failure line is STATUS: code: message', () => {
    expect(formatFailure(response({ status: 'FAILED', error: { code: 'AGENT_ERROR', message: 'division by zero' } })))
      .toBe('FAILED: AGENT_ERROR: division by zero');
  });
  it('tables align columns', () => {
    expect(table(['ID', 'RUNTIME'], [['math', 'wasm'], ['m', 'native']])).toBe('ID    RUNTIME\nmath  wasm\nm     native');
  });
});
