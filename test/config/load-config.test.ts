import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { parseBytes, parseDurationMs } from '../../src/config/units.js';

const dir = mkdtempSync(join(tmpdir(), 'ari-cfg-'));
writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'M', version: '1', capabilities: [{ name: 'run', schema: { type: 'object' } }] }));
writeFileSync(join(dir, 'a.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
const agent = (extra = '') => `[[agents]]\nid = "a"\nruntime = "wasm"\nmodule = "a.wasm"\nmanifest = "m.json"\n${extra}`;
const load = (text: string) => parseConfig(text, 'test.toml', dir);

describe('units', () => {
  it('parses durations and sizes', () => {
    expect(parseDurationMs('5s')).toBe(5000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs(42)).toBe(42);
    expect(parseBytes('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseBytes('1g')).toBe(1024 ** 3); // as Docker reads it
    expect(() => parseBytes('1GB')).toThrow(/ambiguous/);
  });
  it('names the bad value', () => {
    expect(() => parseDurationMs('5 parsecs', 'limits.x')).toThrow(/limits\.x.*unknown unit "parsecs"/);
    expect(() => parseBytes(-1, 'm')).toThrow(/m: -1/);
  });
});

describe('parseConfig', () => {
  it('loads an agent with defaults', () => {
    const c = load(agent());
    expect(c.server.listen).toBe('127.0.0.1:9090');
    expect(c.agents[0].module).toBe(join(dir, 'a.wasm'));
    expect(c.agents[0].manifest.capabilities[0].name).toBe('run');
  });
  it('rejects unknown keys naming them', () => {
    expect(() => load(agent('colour = "red"'))).toThrow(/agents\[0\] \(a\): unknown key "colour"/);
    expect(() => load('[server]\nlisten_on = "x"')).toThrow(/server: unknown key "listen_on"/);
  });
  it('rejects unknown runtimes', () => {
    expect(() => load(agent().replace('"wasm"', '"jvm"'))).toThrow(/unknown runtime "jvm" \(known: wasm, native, docker\)/);
  });
  it('rejects runtime-foreign keys', () => {
    expect(() => load(agent('image = "x"'))).toThrow(/unknown key "image"/);
  });
  it('rejects a missing module file', () => {
    expect(() => load(agent().replace('a.wasm', 'nope.wasm'))).toThrow(/module: file not found: .*nope\.wasm/);
  });
  it('rejects a native command that is relative or missing', () => {
    const native = (cmd: string) => `[[agents]]\nid = "n"\nruntime = "native"\ncommand = ["${cmd}"]\nmanifest = "m.json"\n`;
    expect(() => load(native('math'))).toThrow(/command\[0\]: "math" must be an absolute path/);
    expect(() => load(native('/no/such/bin'))).toThrow(/command\[0\]: binary not found: \/no\/such\/bin/);
  });
  it('rejects agent limits above the ceiling', () => {
    expect(() => load(`[limits.max]\ntimeout_ms = "1s"\n${agent('[agents.limits]\ntimeout_ms = "2s"')}`)).toThrow(/timeout_ms = 2000 exceeds the operator ceiling limits\.max\.timeout_ms = 1000/);
  });
  it('rejects duplicate agent ids', () => {
    expect(() => load(agent() + '\n' + agent())).toThrow(/id "a" is used twice/);
  });
  it('reports invalid TOML', () => {
    expect(() => load('[server\n')).toThrow(/invalid TOML/);
  });
});
