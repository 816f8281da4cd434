// Client targets: one address, a comma list (`a:9090,b:9090`) or `dns:///name:port`, balanced with grpc-js round_robin.
import { isIP } from 'node:net';

export interface ChannelTarget {
  /** What grpc-js is given. */
  target: string;
  /** Several addresses (or a DNS name that may have several): spread calls with round_robin. */
  balanced: boolean;
}

function splitHostPort(entry: string): [string, string] {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(entry) ?? /^([^:]+):(\d+)$/.exec(entry);
  if (!m) throw new Error(`target ${JSON.stringify(entry)}: expected host:port`);
  return [m[1]!, m[2]!];
}

/** A comma list becomes grpc-js's static `ipv4:`/`ipv6:` list (names are not resolved here: use dns:///name:port). */
export function channelTarget(target: string): ChannelTarget {
  const list = target.split(',').map((t) => t.trim()).filter(Boolean);
  if (list.length <= 1) return { target: list[0] ?? target, balanced: /^dns:/.test(target) };
  const parsed = list.map((entry) => {
    const [host, port] = splitHostPort(entry);
    const ip = host === 'localhost' ? '127.0.0.1' : host;
    const family = isIP(ip);
    if (!family) throw new Error(`target ${JSON.stringify(entry)} in a list must be an IP address: for a name with several addresses use dns:///${entry}`);
    return { family, addr: family === 6 ? `[${ip}]:${port}` : `${ip}:${port}` };
  });
  const family = parsed[0]!.family;
  if (parsed.some((p) => p.family !== family)) throw new Error(`target ${JSON.stringify(target)} mixes IPv4 and IPv6 addresses`);
  return { target: `${family === 6 ? 'ipv6' : 'ipv4'}:${parsed.map((p) => p.addr).join(',')}`, balanced: true };
}

export const ROUND_ROBIN = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });
