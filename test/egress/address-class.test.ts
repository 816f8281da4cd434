// Address classes of resolved destinations, and the dial-time verdict (literal exception, own listeners).
import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../../src/egress/address-class.js';
import { checkDestination } from '../../src/egress/destination-check.js';
import { parseAllowList } from '../../src/egress/policy.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'], ['100.127.255.255', 'private'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'], ['169.254.0.1', 'link-local'], ['fe80::1', 'link-local'], ['febf::1', 'link-local'],
    ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'], ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:169.254.169.254', 'link-local'], ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::7f00:1', 'loopback'], ['2002:a9fe:a9fe::1', 'link-local'],
    ['8.8.8.8', 'public'], ['203.0.113.7', 'public'], ['172.32.0.1', 'public'], ['100.128.0.1', 'public'],
    ['2001:4860:4860::8888', 'public'], ['::ffff:8.8.8.8', 'public'],
    ['not-an-ip', 'reserved'], ['fe80::1%eth0', 'reserved'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });
});

describe('checkDestination', () => {
  const allow = parseAllowList(['127.0.0.1:8080', 'api.example.com:443']);

  it('refuses internal addresses unless an entry names that literal on that port', () => {
    expect(checkDestination('127.0.0.1', 8080, allow, [])).toMatchObject({ ok: true });
    expect(checkDestination('127.0.0.1', 443, allow, [])).toMatchObject({ ok: false, reason: 'refused_address', detail: expect.stringContaining('loopback') });
    expect(checkDestination('169.254.169.254', 80, allow, [])).toMatchObject({ ok: false, reason: 'refused_address', detail: expect.stringContaining('link-local') });
    expect(checkDestination('8.8.8.8', 443, allow, [])).toMatchObject({ ok: true, cls: 'public' });
  });

  it('refuses the daemon\'s own listeners even when listed by literal, including wildcard binds', () => {
    expect(checkDestination('127.0.0.1', 8080, allow, [{ host: '127.0.0.1', port: 8080 }])).toMatchObject({ ok: false, reason: 'own_listener' });
    expect(checkDestination('127.0.0.1', 8080, allow, [{ host: '0.0.0.0', port: 8080 }])).toMatchObject({ ok: false, reason: 'own_listener' });
    expect(checkDestination('127.0.0.1', 8080, allow, [{ host: '::', port: 8080 }])).toMatchObject({ ok: false, reason: 'own_listener' });
    expect(checkDestination('127.0.0.1', 8080, allow, [{ host: '127.0.0.1', port: 9090 }])).toMatchObject({ ok: true });
  });
});
