// Allowlist entries: parsing with errors naming the entry, wildcard matching, ceiling coverage and narrowing.
import { describe, expect, it } from 'vitest';
import { EgressPolicyError, matches, narrow, parseAllowList, parseEntry, parseTarget, withinCeiling } from '../../src/egress/policy.js';

describe('parseEntry', () => {
  it('parses names, wildcards and IP literals into canonical form', () => {
    expect(parseEntry('API.Example.com.:443')).toMatchObject({ kind: 'name', host: 'api.example.com', port: 443 });
    expect(parseEntry('*.example.org:443')).toMatchObject({ kind: 'wildcard', host: 'example.org', port: 443 });
    expect(parseEntry('203.0.113.7:8080')).toMatchObject({ kind: 'ip', host: '203.0.113.7', port: 8080 });
    expect(parseEntry('[2001:DB8:0:0::1]:443')).toMatchObject({ kind: 'ip', host: '2001:db8::1', port: 443 });
    expect(parseEntry('[::ffff:127.0.0.1]:80')).toMatchObject({ kind: 'ip', host: '127.0.0.1', port: 80 });
  });

  it.each([
    ['api.example.com', 'missing :PORT'],
    ['api.example.com:0', '1–65535'],
    ['api.example.com:65536', '1–65535'],
    ['api.example.com:http', '1–65535'],
    ['2001:db8::1:443', 'brackets'],
    ['[not-ip]:443', 'not an IPv6 literal'],
    ['*.com:443', 'too broad'],
    ['a.*.example.com:443', 'leading "*."'],
    ['under_score.example.com:443', 'not a DNS name'],
    ['-bad.example.com:443', 'not a DNS name'],
    ['127.1:80', 'looks numeric'],
    ['2130706433:80', 'looks numeric'],
    [':443', 'empty'],
  ])('rejects %s with an error naming it (%s)', (text, why) => {
    let err: unknown;
    try { parseEntry(text); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(EgressPolicyError);
    expect((err as Error).message).toContain(`"${text}"`);
    expect((err as Error).message).toContain(why);
  });

  it('collapses duplicates in a list', () => {
    expect(parseAllowList(['a.example.com:443', 'A.EXAMPLE.COM:443', 'a.example.com:80'])).toHaveLength(2);
  });
});

describe('matches', () => {
  const list = parseAllowList(['api.example.com:443', '*.example.org:443', '203.0.113.7:8080', '[2001:db8::1]:443']);
  const t = (h: string, p: number, b = false) => matches(list, parseTarget(h, p, b))?.text;

  it('admits exact names, names strictly below a wildcard, and exact literals on the listed port only', () => {
    expect(t('API.example.com', 443)).toBe('api.example.com:443');
    expect(t('api.example.com', 80)).toBeUndefined();
    expect(t('a.example.org', 443)).toBe('*.example.org:443');
    expect(t('a.b.example.org', 443)).toBe('*.example.org:443');
    expect(t('example.org', 443)).toBeUndefined();
    expect(t('badexample.org', 443)).toBeUndefined();
    expect(t('203.0.113.7', 8080)).toBe('203.0.113.7:8080');
    expect(t('203.0.113.8', 8080)).toBeUndefined();
    expect(t('2001:0db8::0001', 443, true)).toBe('[2001:db8::1]:443');
  });

  it('never lets a wildcard admit an IP literal', () => {
    const w = parseAllowList(['*.in-addr.example.org:80']);
    expect(matches(w, parseTarget('1.2.3.4', 80))).toBeUndefined();
  });
});

describe('withinCeiling and narrow', () => {
  const ceiling = parseAllowList(['*.example.org:443', 'api.example.com:443', '203.0.113.7:8080']);

  it('accepts agent entries covered by the ceiling', () => {
    expect(() => withinCeiling(parseAllowList(['a.example.org:443', '*.b.example.org:443', '*.example.org:443', 'api.example.com:443', '203.0.113.7:8080']), ceiling)).not.toThrow();
  });

  it('names every agent entry outside the ceiling', () => {
    const agent = parseAllowList(['a.example.org:443', 'example.org:443', 'api.example.com:80', '203.0.113.8:8080', 'x.example.com:443']);
    expect(() => withinCeiling(agent, ceiling)).toThrow(/"example.org:443", "api.example.com:80", "203.0.113.8:8080", "x.example.com:443": not within/);
  });

  it('lets a request narrow but never widen', () => {
    const agent = parseAllowList(['*.example.org:443', '203.0.113.7:8080']);
    expect(narrow(agent, parseAllowList(['a.example.org:443'])).map((e) => e.text)).toEqual(['a.example.org:443']);
    expect(() => narrow(agent, parseAllowList(['a.example.org:443', '*.org.example.org:443', 'evil.example.com:443']))).toThrow(/"evil.example.com:443": a request may only narrow/);
    expect(() => narrow(agent, parseAllowList(['203.0.113.7:8081']))).toThrow(/203.0.113.7:8081/);
  });
});
