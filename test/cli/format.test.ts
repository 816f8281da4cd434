// Human output of task results: a lone `result` is unwrapped, everything else stays JSON; egress usage and log.
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/args.js';
import { ID_HELP, SUBMIT_HELP, reportResult } from '../../src/cli/commands/task.js';
import { buildTaskRequest } from '../../src/cli/commands/task-request.js';
import { formatEgressLog, hasEgress } from '../../src/cli/format-egress.js';
import {
  decodeJson, formatFailure, formatLimits, formatOutput, formatUpdate, formatUsage, responseToJson, table,
} from '../../src/cli/format.js';
import { limitsToWire } from '../../src/server/wire-convert.js';
import type { WireEgressRecord, WireTaskResponse, WireUsage } from '../../src/server/wire-types.js';

function captureIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), readStdin: async () => '' };
}

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

describe('egress in the CLI', () => {
  const usage = (over: Partial<WireUsage> = {}): WireUsage => ({
    wall_ms: 120, cpu_ms: 30, peak_memory_bytes: 0, fuel_consumed: 0, exit_code: 0, signal: '', output_bytes: 0,
    egress_bytes: 0, egress_connections: 0, ...over,
  });
  const rec = (over: Partial<WireEgressRecord>): WireEgressRecord => ({
    seq: 1, started_at_ms: 1_700_000_000_000, kind: 'http', host: '127.0.0.1', port: 8080, address: '127.0.0.1', decision: 'allowed',
    reason: 'allowlisted', detail: '', entry: '127.0.0.1:8080', bytes_up: 120, bytes_down: 4242, duration_ms: 3, error: '', ...over,
  });
  const log = [
    rec({}),
    rec({ seq: 2, kind: 'connect', host: 'evil.example', port: 443, address: '', decision: 'denied', reason: 'not_allowlisted', entry: '', bytes_up: 0, bytes_down: 0, duration_ms: 0 }),
    rec({ seq: 3, kind: 'connect', host: '2001:db8::1', port: 443, address: '2001:db8::1', bytes_up: 517, bytes_down: 0, duration_ms: 10_000, error: 'ECONNREFUSED' }),
  ];
  const networked = (over: Partial<WireTaskResponse> = {}) => response({
    output: Buffer.from('{"result":42}'), usage: usage({ egress_bytes: 4879, egress_connections: 2 }),
    limits: { ...limitsToWire({}), network: { allow: ['127.0.0.1:8080'] } }, egress_log: log, egress_log_dropped: 0, ...over,
  });

  it('usage says "egress: N bytes, M connections", bytes exact; only when the task had network', () => {
    expect(formatUsage(usage({ egress_bytes: 67_108_865, egress_connections: 3 })))
      .toBe('usage: wall 120ms, cpu 30ms, exit 0\negress: 67108865 bytes, 3 connections');
    expect(formatUsage(usage(), true)).toBe('usage: wall 120ms, cpu 30ms, exit 0\negress: 0 bytes, 0 connections');
    expect(formatUsage(usage())).toBe('usage: wall 120ms, cpu 30ms, exit 0');
  });

  it('the egress log is a table in attempt order, IPv6 in brackets, "-" for what is unset', () => {
    expect(formatEgressLog(log, 0).split('\n')).toEqual([
      'SEQ  DECISION  KIND     HOST:PORT          ADDRESS      REASON           UP   DOWN  MS     ERROR',
      '1    allowed   http     127.0.0.1:8080     127.0.0.1    allowlisted      120  4242  3      -',
      '2    denied    connect  evil.example:443   -            not_allowlisted  0    0     0      -',
      '3    allowed   connect  [2001:db8::1]:443  2001:db8::1  allowlisted      517  0     10000  ECONNREFUSED',
    ]);
  });

  it('says how many attempts were not kept', () => {
    expect(formatEgressLog(log.slice(0, 1), 31).split('\n').at(-1)).toBe('(31 more not kept)');
    expect(formatEgressLog(log, 0)).not.toContain('not kept');
  });

  it('a denial detail goes with its reason', () => {
    const row = formatEgressLog([rec({ decision: 'denied', reason: 'refused_address', detail: '169.254.169.254 is link-local' })], 0).split('\n')[1];
    expect(row).toContain('refused_address (169.254.169.254 is link-local)');
  });

  it('--watch prints an egress update distinctly', () => {
    const line = formatUpdate({ task_id: 't', status: 'RUNNING', kind: 'egress', message: 'denied CONNECT evil.example:443: not_allowlisted', timestamp_ms: Date.UTC(2026, 0, 2, 3, 4, 5, 6), result: null });
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.006 egress denied CONNECT evil\.example:443: not_allowlisted$/);
    const logLine = formatUpdate({ task_id: 't', status: 'RUNNING', kind: 'log', message: 'hello', timestamp_ms: 1, result: null });
    expect(logLine).toMatch(/ log    hello$/);
  });

  it('--json carries usage, the allowlist, the log and the dropped count', () => {
    const json = JSON.parse(JSON.stringify(responseToJson(networked({ egress_log_dropped: 5 }))));
    expect(json.usage).toMatchObject({ egress_bytes: 4879, egress_connections: 2 });
    expect(json.limits.network).toEqual({ allow: ['127.0.0.1:8080'] });
    expect(json.egress_log).toEqual(log);
    expect(json.egress_log_dropped).toBe(5);
    const bare = responseToJson(response({}));
    expect(bare.egress_log).toEqual([]);
    expect(bare.egress_log_dropped).toBe(0);
  });

  it('task get: the output on stdout, egress usage and log on stderr; submit: the output alone', () => {
    const get = captureIo();
    expect(reportResult(networked(), false, get, true)).toBe(0);
    expect(get.stdout).toEqual(['42']);
    expect(get.stderr[0]).toBe('usage: wall 120ms, cpu 30ms, exit 0\negress: 4879 bytes, 2 connections');
    expect(get.stderr[1]).toBe(formatEgressLog(log, 0));
    const submit = captureIo();
    reportResult(networked(), false, submit);
    expect(submit.stdout).toEqual(['42']);
    expect(submit.stderr).toEqual([]);
  });

  it('a NETWORK_LIMIT task prints its failure, the egress line and (task get) the log', () => {
    const io = captureIo();
    const r = networked({ status: 'NETWORK_LIMIT', output: Buffer.alloc(0), error: { code: 'NETWORK_LIMIT', message: 'egress_bytes limit of 1024 bytes exceeded' }, egress_log_dropped: 2 });
    expect(reportResult(r, false, io, true)).toBe(1);
    expect(io.stderr[0]).toBe('task t NETWORK_LIMIT: egress_bytes limit of 1024 bytes exceeded');
    expect(io.stderr[1]).toContain('\negress: 4879 bytes, 2 connections');
    expect(io.stderr[2]).toMatch(/\(2 more not kept\)$/);
  });

  it('a task without network prints as before', () => {
    expect(hasEgress(response({ usage: usage() }))).toBe(false);
    const io = captureIo();
    reportResult(response({ output: Buffer.from('{"result":42}'), usage: usage() }), false, io, true);
    expect(io.stdout).toEqual(['42']);
    expect(io.stderr).toEqual([]);
  });

  it('limits show the allowlist after the budgets', () => {
    expect(formatLimits({ ...limitsToWire({ egressBytes: 1024 ** 2, egressConnections: 4 }), network: { allow: ['a.example.com:443', '*.b.example.org:443'] } }))
      .toBe('egress 1MiB, connections 4, network a.example.com:443 *.b.example.org:443');
    expect(formatLimits({ ...limitsToWire({}), network: null })).toBe('none');
  });

  it('--allow is repeatable, checked locally, and sent as limits.network.allow', async () => {
    const req = await buildTaskRequest({ agent: 'a', capability: 'c', input: '{}', allow: ['127.0.0.1:8080', '*.example.org:443'], 'egress-bytes': '1m' }, captureIo(), '');
    expect(req.limits).toEqual({ egress_bytes: 1024 ** 2, network: { allow: ['127.0.0.1:8080', '*.example.org:443'] } });
    expect((await buildTaskRequest({ agent: 'a', capability: 'c', input: '{}' }, captureIo(), '')).limits).toBeUndefined();
    await expect(buildTaskRequest({ agent: 'a', capability: 'c', input: '{}', allow: ['ok.example.com:443', 'example.com:http'] }, captureIo(), ''))
      .rejects.toThrow('invalid --allow "example.com:http": port "http" is not a number in 1–65535');
  });

  it('help names --allow and the egress budget flags', () => {
    for (const flag of ['--allow HOST:PORT', '--egress-bytes', '--egress-connections']) expect(SUBMIT_HELP).toContain(flag);
    expect(ID_HELP('get')).toContain('egress log');
  });
});
