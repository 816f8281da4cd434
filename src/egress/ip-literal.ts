// IP literal handling shared by policy matching and address classification: one canonical spelling per address.
import { isIPv4, isIPv6 } from 'node:net';

/** 32-bit value of a dotted-quad IPv4 literal (the caller checked isIPv4). */
export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** The eight 16-bit groups of an IPv6 literal, or undefined when it is not one. Zone ids are refused. */
export function ipv6Groups(ip: string): number[] | undefined {
  if (!isIPv6(ip) || ip.includes('%')) return undefined;
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToInt(v4[1]!);
    text = text.slice(0, v4.index) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left.length === 8 ? left : undefined;
  const right = parse(tail);
  const fill = 8 - left.length - right.length;
  return fill < 1 ? undefined : [...left, ...new Array<number>(fill).fill(0), ...right];
}

/** The IPv4 address embedded in an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else undefined. */
export function mappedIpv4(groups: readonly number[]): string | undefined {
  if (!groups.slice(0, 5).every((g) => g === 0) || groups[5] !== 0xffff) return undefined;
  return groupsToIpv4(groups[6]!, groups[7]!);
}

export function groupsToIpv4(hi: number, lo: number): string {
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/**
 * One spelling per address: dotted quad for IPv4 (and for IPv4-mapped IPv6, which reaches the same host),
 * RFC 5952 compressed lowercase for IPv6; undefined when `ip` is not a literal.
 */
export function canonicalIp(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  const groups = ipv6Groups(ip);
  if (!groups) return undefined;
  const mapped = mappedIpv4(groups);
  if (mapped) return mapped;
  return new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname.slice(1, -1);
}
