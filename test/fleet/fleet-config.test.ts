// `[storage] url` and the fleet keys, the derived native uid range, and the client's multi-target form.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { channelTarget } from '../../src/client/targets.js';
import { withRetry } from '../../src/client/retry.js';
import { fleetDaemonId } from '../../src/store/open-store.js';
import { joinConflict, manifestMismatches } from '../../src/core/fleet-checks.js';
import { describeUrl } from '../../src/store/postgres-journal.js';

const parse = (toml: string) => parseConfig(toml, '/etc/ari/ari.toml', '/etc/ari');

describe('fleet config', () => {
  it('reads [storage] url and the fleet keys; without url nothing changes', () => {
    const c = parse('[storage]\nurl = "postgresql:///ari?host=/run/postgresql"\npath = "/var/lib/ari"\nlease = "5s"\npoll = "500ms"\ndaemon_id = "node-a"');
    expect(c.storage).toMatchObject({ url: 'postgresql:///ari?host=/run/postgresql', path: '/var/lib/ari', leaseMs: 5000, pollMs: 500, daemonId: 'node-a' });
    expect(parse('[storage]\npath = "/var/lib/ari"').storage.url).toBeNull();
    expect(parse('').backends.native.uidStart).toBe(2_000_000);
  });

  it('derives a distinct default native uid range per daemon in a fleet, and keeps an explicit one', () => {
    const a = parse('[storage]\nurl = "postgresql://db/ari"\npath = "/var/lib/ari-a"').backends.native.uidStart;
    const b = parse('[storage]\nurl = "postgresql://db/ari"\npath = "/var/lib/ari-b"').backends.native.uidStart;
    expect(a).not.toBe(b);
    expect(a).toBeGreaterThanOrEqual(2_000_000);
    expect((a - 2_000_000) % 65_536).toBe(0);
    expect(parse('[storage]\nurl = "postgresql://db/ari"\n[runtimes.native]\nuid_start = 3000000').backends.native.uidStart).toBe(3_000_000);
  });

  it('gives a daemon a stable fleet id from its data directory unless one is set', () => {
    const s = parse('[storage]\nurl = "postgresql://db/ari"\npath = "/var/lib/ari-a"').storage;
    expect(fleetDaemonId(s, 'x')).toBe(fleetDaemonId(s, 'y'));
    expect(fleetDaemonId({ ...s, path: '/other' }, 'x')).not.toBe(fleetDaemonId(s, 'x'));
    expect(fleetDaemonId({ ...s, daemonId: 'node-a' }, 'x')).toBe('node-a');
  });

  it('names the store without its password', () => {
    expect(describeUrl('postgresql://ari:secret@db.example:5433/tasks')).toBe('db.example:5433/tasks');
    expect(describeUrl('postgresql:///ari?host=/run/postgresql')).toBe('/run/postgresql/ari');
  });
});

describe('fleet checks', () => {
  const member = (daemonId: string, host: string, uidRange: [number, number]) =>
    ({ daemonId, host, address: '', freeSlots: {}, uidRange, agents: [{ agentId: 'a', agentHash: daemonId }], startedAt: 0, heartbeatAt: 0, live: true });
  it('refuses overlapping uid ranges and an id used on another host, allows its own restart', () => {
    const me = member('me', 'h1', [2_000_000, 64]);
    expect(joinConflict(me, [member('x', 'h2', [2_000_063, 10])])).toMatch(/overlap those of live daemon x on h2/);
    expect(joinConflict(me, [member('x', 'h2', [2_000_064, 10])])).toBeUndefined();
    expect(joinConflict(me, [member('me', 'h2', [3_000_000, 1])])).toMatch(/already used by a live daemon on h2/);
    expect(joinConflict(me, [member('me', 'h1', [2_000_000, 64])])).toBeUndefined();
    expect(joinConflict({ ...me, uidRange: [0, 0] }, [member('x', 'h2', [0, 0])])).toBeUndefined();
  });
  it('reports an agent whose manifest differs on a live member', () => {
    expect(manifestMismatches([{ agentId: 'a', agentHash: 'me' }], [member('x', 'h2', [0, 0])], 'me')[0]).toMatch(/agent "a" differs on daemon x/);
    expect(manifestMismatches([{ agentId: 'a', agentHash: 'x' }], [member('x', 'h2', [0, 0])], 'me')).toEqual([]);
  });
});

describe('client targets', () => {
  it('turns a comma list into a balanced static list and keeps single targets', () => {
    expect(channelTarget('127.0.0.1:9090')).toEqual({ target: '127.0.0.1:9090', balanced: false });
    expect(channelTarget('unix:/run/ari.sock')).toEqual({ target: 'unix:/run/ari.sock', balanced: false });
    expect(channelTarget('dns:///ari.default.svc:9090')).toEqual({ target: 'dns:///ari.default.svc:9090', balanced: true });
    expect(channelTarget('10.0.0.1:9090, 10.0.0.2:9090,localhost:1')).toEqual({ target: 'ipv4:10.0.0.1:9090,10.0.0.2:9090,127.0.0.1:1', balanced: true });
    expect(channelTarget('[::1]:1,[::2]:2')).toEqual({ target: 'ipv6:[::1]:1,[::2]:2', balanced: true });
    expect(() => channelTarget('a.example:1,b.example:1')).toThrow(/use dns:\/\/\/a.example:1/);
  });
  it('retries UNAVAILABLE only, up to the attempts', async () => {
    let n = 0;
    const unavailable = Object.assign(new Error('x'), { code: 'UNAVAILABLE' });
    await expect(withRetry({ attempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 }, async () => { n++; throw unavailable; })).rejects.toBe(unavailable);
    expect(n).toBe(3);
    n = 0;
    await expect(withRetry({ attempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 }, async () => { n++; throw Object.assign(new Error('y'), { code: 'NOT_FOUND' }); })).rejects.toThrow('y');
    expect(n).toBe(1);
    expect(await withRetry({ attempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 }, async () => (++n < 3 ? Promise.reject(unavailable) : 'ok'))).toBe('ok');
  });
});
