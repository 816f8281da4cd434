// [network] and [agents.network]: the ceiling, each agent's allowlist within it, the errors naming key, agent and entry.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/config-schema.js';
import { configAt } from '../helpers/config-at.js';

const dir = mkdtempSync(join(tmpdir(), 'ari-netcfg-'));
writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'M', version: '1', capabilities: [{ name: 'run', schema: { type: 'object' } }] }));
writeFileSync(join(dir, 'a.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
const agent = (id: string, network?: string) =>
  `[[agents]]\nid = "${id}"\nruntime = "wasm"\nmodule = "a.wasm"\nmanifest = "m.json"\n${network === undefined ? '' : `[agents.network]\n${network}\n`}`;
const CEILING = '[network]\nallow = ["*.example.com:443", "203.0.113.7:8080", "[2001:db8::1]:443", "127.0.0.1:8443"]\n';
const { load, error } = configAt(dir);

describe('[network] and [agents.network]', () => {
  it('gives an agent its allowlist in canonical form, within the ceiling; an agent without one has no network', () => {
    const c = load(CEILING + agent('fetch', 'allow = ["API.Example.COM.:443", "*.eu.example.com:443", "[2001:DB8:0::1]:443", "203.0.113.7:8080"]') + agent('plain'));
    expect(c.agents[0]!.network).toEqual({ allow: ['api.example.com:443', '*.eu.example.com:443', '[2001:db8::1]:443', '203.0.113.7:8080'] });
    expect(c.agents[1]!.network).toBeUndefined();
    expect('network' in c.agents[1]!).toBe(false);
    expect(c.network).toEqual({ allow: ['*.example.com:443', '203.0.113.7:8080', '[2001:db8::1]:443', '127.0.0.1:8443'] });
  });

  it('a config without [network] and without agent policies is unchanged', () => {
    const c = load(agent('plain'));
    expect(c.network).toBeUndefined();
    expect(c.agents[0]!.network).toBeUndefined();
  });

  it('refuses an agent entry outside the ceiling, naming the key, the agent and every uncovered entry', () => {
    expect(error(CEILING + agent('ok') + agent('fetcher', 'allow = ["api.example.com:443", "evil.com:443", "203.0.113.7:80"]')))
      .toBe('agents[1] (fetcher).network.allow: "evil.com:443", "203.0.113.7:80" are not within [network] allow (*.example.com:443, 203.0.113.7:8080, [2001:db8::1]:443, 127.0.0.1:8443)');
    // Coverage rules: the bare suffix is not below its wildcard, and a name never covers an IP literal.
    expect(error(CEILING + agent('f', 'allow = ["example.com:443"]'))).toMatch(/^agents\[0\] \(f\)\.network\.allow: "example\.com:443" is not within \[network\] allow/);
    expect(error(CEILING + agent('f', 'allow = ["*.example.com:8443"]'))).toMatch(/"\*\.example\.com:8443" is not within/);
  });

  it('refuses an agent policy when the config has no [network] ceiling (deny by default)', () => {
    expect(error(agent('fetcher', 'allow = ["api.example.com:443"]')))
      .toMatch(/^agents\[0\] \(fetcher\)\.network: the config has no \[network\] allow ceiling; egress is denied by default, so add \[network\] allow = \[\.\.\.\] covering "api\.example\.com:443"$/);
  });

  it('refuses bad entries, naming the table and the entry', () => {
    expect(error('[network]\nallow = ["*.com:443"]')).toMatch(/^network\.allow: "\*\.com:443": wildcard "\*\.com" is too broad/);
    expect(error('[network]\nallow = ["2001:db8::1:443"]')).toMatch(/^network\.allow: "2001:db8::1:443": an IPv6 literal must be written in brackets/);
    expect(error(CEILING + agent('f', 'allow = ["api.example.com"]'))).toMatch(/^agents\[0\] \(f\)\.network\.allow: "api\.example\.com": missing :PORT/);
    expect(error(CEILING + agent('f', 'allow = ["127.1:443"]'))).toMatch(/"127\.1:443": host "127\.1" looks numeric/);
    expect(error(CEILING + agent('f', 'allow = ["a.example.com:0"]'))).toMatch(/port "0" is not a number in 1–65535/);
  });

  it('refuses unknown keys, a missing or empty list and non-string entries like elsewhere', () => {
    expect(error('[network]\nallow = ["a.example.com:443"]\ndeny = []')).toBe('network: unknown key "deny" (allowed: allow)');
    expect(error(CEILING + agent('f', 'allow = ["a.example.com:443"]\nports = [1]'))).toBe('agents[0] (f).network: unknown key "ports" (allowed: allow)');
    expect(error('[network]\n')).toBe('network.allow: expected a non-empty list of "HOST:PORT" entries');
    expect(error(CEILING + agent('f', 'allow = []'))).toBe('agents[0] (f).network.allow: expected a non-empty list of "HOST:PORT" entries');
    expect(error(CEILING + agent('f', 'allow = [443]'))).toMatch(/^agents\[0\] \(f\)\.network\.allow: expected an array of strings/);
    expect(error('network = "all"')).toBe('network: expected a table');
  });

  it('checks included agents against the same ceiling', () => {
    writeFileSync(join(dir, 'more.toml'), agent('inc', 'allow = ["other.org:443"]'));
    expect(error(`include = ["more.toml"]\n${CEILING}`)).toMatch(/^agents\[0\] \(inc\)\.network\.allow: "other\.org:443" is not within \[network\] allow/);
    writeFileSync(join(dir, 'ok.toml'), agent('inc', 'allow = ["x.example.com:443"]'));
    expect(load(`include = ["ok.toml"]\n${CEILING}`).agents[0]!.network).toEqual({ allow: ['x.example.com:443'] });
  });

  it('the config JSON Schema has both tables and refuses an unknown key in either', () => {
    const validate = new Ajv2020({ strict: true }).compile(configSchema());
    const ok = (text: string) => validate(parseToml(text));
    expect(ok(CEILING + agent('f', 'allow = ["a.example.com:443"]')), JSON.stringify(validate.errors)).toBe(true);
    expect(ok('[network]\nallow = ["a.example.com:443"]\ndeny = []')).toBe(false);
    expect(ok(CEILING + agent('f', 'allow = ["a.example.com:443"]\nports = [1]'))).toBe(false);
    expect(ok(CEILING + agent('f', 'allow = []'))).toBe(false);
    expect(ok(CEILING + agent('f', 'allow = ["no-port"]'))).toBe(false);
    const s = configSchema() as { properties: { network: { properties: object }; agents: { items: { oneOf: { properties: Record<string, unknown> }[] } } } };
    expect(Object.keys(s.properties.network.properties)).toEqual(['allow']);
    for (const shape of s.properties.agents.items.oneOf) expect(shape.properties.network).toBeDefined();
  });
});
