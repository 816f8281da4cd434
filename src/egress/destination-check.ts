// The decision on the address the proxy will actually dial: internal classes and the daemon's own listeners are refused.
import { networkInterfaces } from 'node:os';
import { classifyAddress, type AddressClass } from './address-class.js';
import { canonicalIp } from './ip-literal.js';
import { matches, type AllowEntry } from './policy.js';

/** A listener of the daemon itself; an unspecified host (0.0.0.0, ::, '') means every local address. */
export interface ListenerAddress { readonly host: string; readonly port: number }

export type DestinationVerdict =
  | { ok: true; cls: AddressClass }
  | { ok: false; reason: 'own_listener' | 'refused_address'; detail: string };

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) { const c = canonicalIp(a.address); if (c) out.add(c); }
  }
  return out;
}

function isOwnListener(ip: string, port: number, own: readonly ListenerAddress[], cls: AddressClass): boolean {
  return own.some((l) => {
    if (l.port !== port) return false;
    const host = canonicalIp(l.host);
    if (host === undefined || host === '0.0.0.0' || host === '::') {
      return cls === 'loopback' || cls === 'unspecified' || localAddresses().has(ip);
    }
    return host === ip || (cls === 'unspecified');
  });
}

/**
 * `ip` is the canonical address the proxy is about to connect to. The daemon's own listeners are refused
 * always; a non-public address only when an allow entry names that exact literal on that port.
 */
export function checkDestination(ip: string, port: number, allow: readonly AllowEntry[], own: readonly ListenerAddress[]): DestinationVerdict {
  const cls = classifyAddress(ip);
  if (isOwnListener(ip, port, own, cls)) return { ok: false, reason: 'own_listener', detail: `${ip}:${port} is one of the daemon's own listeners` };
  if (cls === 'public') return { ok: true, cls };
  if (matches(allow, { kind: 'ip', host: ip, port })) return { ok: true, cls };
  return { ok: false, reason: 'refused_address', detail: `${ip} is ${cls} and no entry names ${ip}:${port}` };
}
