// CLI argument handling: unit parsing, --input checks, and the exit codes of usage mistakes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, UsageError, parseCount, parseDuration, parseSize, resolveTarget, type Io } from '../../src/cli/args.js';
import { buildTaskRequest, readJsonInput } from '../../src/cli/commands/task-request.js';
import { main } from '../../src/cli/main.js';

function captureIo(stdin = ''): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), readStdin: async () => stdin };
}

describe('parseDuration', () => {
  it.each([['5s', 5000], ['250ms', 250], ['2m', 120_000], ['1h', 3_600_000], ['1.5s', 1500], ['100', 100]])(
    '%s → %i ms', (text, ms) => expect(parseDuration(text, '--timeout')).toBe(ms));

  it.each(['5x', '', 'soon', '0s', '-1s', '5 seconds'])('rejects %j naming the flag', (text) => {
    expect(() => parseDuration(text, '--timeout')).toThrow(UsageError);
    expect(() => parseDuration(text, '--timeout')).toThrow(`invalid --timeout "${text}"`);
  });
});

describe('parseSize', () => {
  it.each([['64MiB', 64 * 2 ** 20], ['1GiB', 2 ** 30], ['1000', 1000], ['64m', 64 * 2 ** 20], ['1k', 1024], ['2g', 2 * 2 ** 30], ['512KiB', 512 * 1024]])(
    '%s → %i bytes', (text, bytes) => expect(parseSize(text, '--memory')).toBe(bytes));

  it.each(['64XB', 'lots', '0', '-1MiB', 'MiB'])('rejects %j naming the flag', (text) => {
    expect(() => parseSize(text, '--memory')).toThrow(`invalid --memory "${text}"`);
  });

  it.each(['10MB', '1kb', '2GB'])('refuses %j as ambiguous (decimal or binary?)', (text) => {
    expect(() => parseSize(text, '--memory')).toThrow(`invalid --memory "${text}": "${text}" is ambiguous`);
  });
});

describe('parseCount', () => {
  it('accepts plain and exponent forms', () => {
    expect(parseCount('1000000', '--fuel')).toBe(1_000_000);
    expect(parseCount('1e9', '--fuel')).toBe(1e9);
  });
  it.each(['-5', 'many', '0'])('rejects %j', (text) => {
    expect(() => parseCount(text, '--fuel')).toThrow(`invalid --fuel "${text}"`);
  });
});

describe('--input', () => {
  it('names the JSON problem before any RPC', async () => {
    await expect(readJsonInput('{"operation":', captureIo())).rejects.toThrow(/--input is not valid JSON: .+/);
  });

  it('reads @file and - (stdin)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ari-cli-'));
    const file = join(dir, 'in.json');
    writeFileSync(file, '{"operands":[1,2]}');
    expect(await readJsonInput(`@${file}`, captureIo())).toBe('{"operands":[1,2]}');
    expect(await readJsonInput('-', captureIo('[1]'))).toBe('[1]');
    await expect(readJsonInput('-', captureIo('nope'))).rejects.toThrow('--input from stdin is not valid JSON');
    await expect(readJsonInput(`@${join(dir, 'missing.json')}`, captureIo())).rejects.toThrow(/cannot read --input file .*missing\.json/);
  });

  it('builds the request with only the limits given', async () => {
    const req = await buildTaskRequest(
      { agent: 'math', capability: 'arithmetic', input: '{}', timeout: '5s', memory: '64MiB', fuel: '1000' }, captureIo(), '');
    expect(req).toEqual({
      task_id: '', agent_id: 'math', capability: 'arithmetic', input: '{}',
      limits: { timeout_ms: 5000, memory_bytes: 64 * 2 ** 20, fuel: 1000 },
    });
    const bare = await buildTaskRequest({ agent: 'a', capability: 'c', input: '1' }, captureIo(), '');
    expect(bare.limits).toBeUndefined();
    await expect(buildTaskRequest({ capability: 'c', input: '1' }, captureIo(), '')).rejects.toThrow('missing --agent');
  });
});

describe('target', () => {
  it('flag beats ARI_TARGET beats the default', () => {
    expect(resolveTarget({ target: 'unix:/x.sock' }, { ARI_TARGET: 'h:1' })).toBe('unix:/x.sock');
    expect(resolveTarget({}, { ARI_TARGET: 'h:1' })).toBe('h:1');
    expect(resolveTarget({}, {})).toBe('127.0.0.1:9090');
  });
});

describe('main exit codes', () => {
  it('prints help with exit 0', async () => {
    for (const argv of [['--help'], ['task', 'submit', '--help'], ['agent', '--help'], ['health', '-h'], ['serve', '--help']]) {
      const io = captureIo();
      expect(await main(argv, io)).toBe(EXIT.OK);
      expect(io.stdout.join('\n')).toMatch(/^Usage: |ari: /);
    }
  });

  it.each([
    [['bogus'], /unknown command "bogus"/],
    [['tsak'], /unknown command "tsak"; did you mean task\?/],
    [[], /missing command/],
    [['task', 'submit', '--agent', 'm', '--capability', 'c', '--input', '{bad'], /--input is not valid JSON/],
    [['task', 'submit', '--agent', 'm', '--capability', 'c', '--input', '{}', '--timeout', 'fast'], /invalid --timeout "fast"/],
    [['task', 'submit', '--agnet', 'm'], /unknown flag --agnet; did you mean --agent\?/],
    [['task', 'get'], /missing ID/],
    [['agent', 'show'], /missing ID/],
    [['task', 'frobnicate'], /unknown task verb/],
  ])('%j → usage error, exit 2', async (argv, message) => {
    const io = captureIo();
    expect(await main(argv, io)).toBe(EXIT.USAGE);
    expect(io.stderr[0]).toMatch(/^error: /);
    expect(io.stderr.join('\n')).toMatch(message);
  });

  it('an unreachable daemon is an RPC error, exit 3, naming the address', async () => {
    const io = captureIo();
    expect(await main(['health', '--target', '127.0.0.1:1'], io)).toBe(EXIT.RPC);
    expect(io.stderr.join('\n')).toMatch(/^error: UNAVAILABLE: cannot reach the ari daemon at 127\.0\.0\.1:1/);
  });

  it('conformance rejects an unknown backend as a usage error', async () => {
    const io = captureIo();
    expect(await main(['conformance', '--backend', 'jvm'], io)).toBe(EXIT.USAGE);
  });
});
