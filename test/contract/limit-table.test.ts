// The one limit table: every place that handles limits (config, wire, proto, CLI flags, help, output, schema) follows it.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { LIMIT_FLAGS_HELP, limitsFrom } from '../../src/cli/commands/task-request.js';
import { formatLimits } from '../../src/cli/format.js';
import { DEFAULT_CONFIG_PATH, parseConfig } from '../../src/config/load-config.js';
import { readLimits } from '../../src/config/limits-config.js';
import { limitsConfigSchema } from '../../src/config/limits-schema.js';
import { CEILING_LIMITS, DEFAULT_LIMITS, LIMIT_KEYS, LIMIT_TABLE, type Limits } from '../../src/contract/limits.js';
import { UNITS } from '../../src/contract/units.js';
import { limitsFromWire, limitsToWire } from '../../src/server/wire-convert.js';

/** A value per row written in the row's unit, and what it parses to. */
const SAMPLE = { duration: ['2s', 2000], bytes: ['3MiB', 3 * 1024 ** 2], count: ['4k', 4000] } as const;

describe('the limit table', () => {
  it('has unique keys, wire names, flags and labels, and defaults under ceilings', () => {
    for (const column of ['key', 'wire', 'flag', 'label'] as const) {
      expect(new Set(LIMIT_TABLE.map((r) => r[column])).size).toBe(LIMIT_TABLE.length);
    }
    for (const r of LIMIT_TABLE) {
      expect(r.default, r.wire).toBeGreaterThan(0);
      expect(r.default, r.wire).toBeLessThanOrEqual(r.ceiling);
      expect(DEFAULT_LIMITS[r.key]).toBe(r.default);
      expect(CEILING_LIMITS[r.key]).toBe(r.ceiling);
    }
  });

  it('matches the proto Limits message field for field', () => {
    const proto = readFileSync(new URL('../../proto/ari/v1/runtime.proto', import.meta.url), 'utf8');
    const body = /message Limits \{([^}]*)\}/.exec(proto)?.[1] ?? '';
    const fields = [...body.matchAll(/^\s*uint64\s+(\w+)\s*=\s*\d+;/gm)].map((m) => m[1]);
    expect(fields).toEqual(LIMIT_TABLE.map((r) => r.wire));
  });

  it('config reads every row by its wire name in its unit', () => {
    const t = Object.fromEntries(LIMIT_TABLE.map((r) => [r.wire, SAMPLE[r.unit][0]]));
    const got = readLimits(t, 'limits.default');
    for (const r of LIMIT_TABLE) expect(got[r.key], r.wire).toBe(SAMPLE[r.unit][1]);
    expect(() => readLimits({ disk_bytes: 1 }, 'limits.default')).toThrow(/unknown key "disk_bytes" \(allowed: timeout_ms, memory_bytes/);
    expect(() => readLimits({ pids: 0 }, 'agents[0].limits')).toThrow('agents[0].limits.pids: must be greater than 0');
  });

  it('[limits.max] caps the built-in defaults; [limits.default] above max is refused', () => {
    const c = parseConfig('[limits.max]\ntimeout_ms = "1s"\n', 't.toml', '/');
    expect(c.limits.max).toEqual({ ...CEILING_LIMITS, timeoutMs: 1000 });
    expect(c.limits.default).toEqual({ ...DEFAULT_LIMITS, timeoutMs: 1000 });
    expect(() => parseConfig('[limits.max]\npids = 5\n[limits.default]\npids = 6\n', 't.toml', '/'))
      .toThrow('limits.default.pids = 6 exceeds the operator ceiling limits.max.pids = 5');
  });

  it('wire conversion round-trips every row; 0 on the wire is unset', () => {
    const l = Object.fromEntries(LIMIT_KEYS.map((k, i) => [k, i + 1])) as Limits;
    const wire = limitsToWire(l);
    expect(Object.keys(wire)).toEqual(LIMIT_TABLE.map((r) => r.wire));
    expect(limitsFromWire(wire)).toEqual(l);
    expect(limitsToWire({})).toEqual(Object.fromEntries(LIMIT_TABLE.map((r) => [r.wire, 0])));
    expect(limitsFromWire(null)).toEqual({});
  });

  it('CLI: one flag and one help line per row, parsed in its unit', () => {
    const flags = Object.fromEntries(LIMIT_TABLE.map((r) => [r.flag, SAMPLE[r.unit][0]]));
    expect(limitsFrom(flags)).toEqual(Object.fromEntries(LIMIT_TABLE.map((r) => [r.wire, SAMPLE[r.unit][1]])));
    expect(limitsFrom({})).toBeUndefined();
    const lines = LIMIT_FLAGS_HELP.split('\n');
    expect(lines).toHaveLength(LIMIT_TABLE.length);
    LIMIT_TABLE.forEach((r, i) => expect(lines[i]).toMatch(new RegExp(`^  --${r.flag} ${UNITS[r.unit].metavar} +${r.help.replace(/[()]/g, '\\$&')}$`)));
    expect(() => limitsFrom({ timeout: '5 parsecs' })).toThrow('invalid --timeout "5 parsecs"');
  });

  it('output formatting prints every set row, in table order, in its unit', () => {
    const wire = limitsToWire({ timeoutMs: 1500, memoryBytes: 64 * 1024 ** 2, cpuMillis: 250, fuel: 7, pids: 3, outputBytes: 2048 });
    expect(formatLimits(wire)).toBe('timeout 1.5s, memory 64MiB, cpu 250ms, fuel 7, pids 3, output 2KiB');
    expect(formatLimits(limitsToWire({ pids: 3 }))).toBe('pids 3');
    expect(formatLimits(limitsToWire({}))).toBe('none');
  });

  it('the generated JSON Schema of [limits] accepts the shipped config and rejects unknown or bad values', () => {
    const validate = new Ajv({ strict: true }).compile(limitsConfigSchema());
    const shipped = (parseToml(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as { limits: unknown }).limits;
    expect(validate(shipped), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ default: Object.fromEntries(LIMIT_TABLE.map((r) => [r.wire, SAMPLE[r.unit][0]])) })).toBe(true);
    expect(validate({ default: { disk_bytes: 10 } })).toBe(false);
    expect(validate({ max: { timeout_ms: 0 } })).toBe(false);
    expect(validate({ max: { timeout_ms: 'soon' } })).toBe(false);
    const props = (limitsConfigSchema().properties as { default: { properties: Record<string, { description: string }> } }).default.properties;
    expect(Object.keys(props)).toEqual(LIMIT_TABLE.map((r) => r.wire));
    for (const r of LIMIT_TABLE) expect(props[r.wire].description).toContain(r.help);
  });
});
