// Classifies a resolved address so the proxy can refuse internal destinations (loopback, private, metadata, ...).
import { isIPv4 } from 'node:net';
import { groupsToIpv4, ipv4ToInt, ipv6Groups, mappedIpv4 } from './ip-literal.js';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'multicast' | 'unspecified' | 'reserved';

type V4Range = readonly [base: string, bits: number, cls: AddressClass];

const V4_RANGES: readonly V4Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['127.0.0.0', 8, 'loopback'],
  ['10.0.0.0', 8, 'private'],
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['100.64.0.0', 10, 'private'],      // CGNAT: the provider's network, not the internet
  ['169.254.0.0', 16, 'link-local'],  // includes 169.254.169.254, the cloud metadata service
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],       // includes 255.255.255.255
  ['192.0.0.0', 24, 'reserved'],      // IETF protocol assignments
  ['198.18.0.0', 15, 'reserved'],     // benchmarking; routed to lab networks in practice
];

function inV4(n: number, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((n & mask) >>> 0) === ((ipv4ToInt(base) & mask) >>> 0);
}

function classifyV4(ip: string): AddressClass {
  const n = ipv4ToInt(ip);
  return V4_RANGES.find(([base, bits]) => inV4(n, base, bits))?.[2] ?? 'public';
}

/** IPv6 prefixes that embed an IPv4 address a gateway would reach on our behalf: NAT64 and 6to4. */
function embeddedV4(g: readonly number[]): string | undefined {
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return groupsToIpv4(g[6]!, g[7]!);
  if (g[0] === 0x2002) return groupsToIpv4(g[1]!, g[2]!);
  return undefined;
}

function classifyV6(g: readonly number[]): AddressClass {
  const mapped = mappedIpv4(g);
  if (mapped) return classifyV4(mapped);
  if (g.slice(0, 7).every((x) => x === 0)) return g[7] === 0 ? 'unspecified' : g[7] === 1 ? 'loopback' : 'reserved';
  if (g.slice(0, 6).every((x) => x === 0)) return 'reserved'; // deprecated IPv4-compatible ::a.b.c.d
  const embedded = embeddedV4(g);
  if (embedded) { const c = classifyV4(embedded); return c === 'public' ? 'public' : c; }
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return 'private';     // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return 'link-local';  // fe80::/10
  if ((first & 0xffc0) === 0xfec0) return 'private';     // fec0::/10 deprecated site-local
  if ((first & 0xff00) === 0xff00) return 'multicast';   // ff00::/8
  return 'public';
}

/** The class of an IP literal; anything that does not parse is 'reserved' (refused). */
export function classifyAddress(ip: string): AddressClass {
  if (isIPv4(ip)) return classifyV4(ip);
  const groups = ipv6Groups(ip);
  return groups ? classifyV6(groups) : 'reserved';
}
