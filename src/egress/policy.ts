// Egress allowlist entries (HOST:PORT): parsing, matching, the operator ceiling and request narrowing.
import { canonicalIp } from './ip-literal.js';

/** `name`: exact DNS name; `wildcard`: `*.suffix`, any name strictly below suffix; `ip`: one address. */
export type HostKind = 'name' | 'wildcard' | 'ip';

export interface AllowEntry {
  readonly kind: HostKind;
  /** Canonical host: lowercase name without trailing dot, the suffix (no `*.`) of a wildcard, or a canonical IP. */
  readonly host: string;
  readonly port: number;
  /** The entry as the operator wrote it, for messages. */
  readonly text: string;
}

export interface Target { readonly kind: 'name' | 'ip'; readonly host: string; readonly port: number }

export class EgressPolicyError extends Error {
  constructor(readonly entries: readonly string[], why: string) {
    super(`${entries.map((e) => `"${e}"`).join(', ')}: ${why}`);
    this.name = 'EgressPolicyError';
  }
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function splitHostPort(text: string): { host: string; port: string } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') throw new Error('expected [IPv6]:PORT');
    return { host: text.slice(1, close), port: text.slice(close + 2) };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new Error('missing :PORT');
  const host = text.slice(0, colon);
  if (host.includes(':')) throw new Error('an IPv6 literal must be written in brackets, e.g. [2001:db8::1]:443');
  return { host, port: text.slice(colon + 1) };
}

function parsePort(port: string): number {
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new Error(`port "${port}" is not a number in 1–65535`);
  return n;
}

/** A DNS name: lowercase, no trailing dot, LDH labels, and a last label that is not numeric (no `127.1` tricks). */
function parseName(raw: string): string {
  const name = raw.toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253) throw new Error(`host "${raw}" is empty or longer than 253 characters`);
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) throw new Error(`host "${raw}" is not a DNS name (letters, digits, hyphens per label)`);
  if (/^\d+$/.test(labels[labels.length - 1]!)) throw new Error(`host "${raw}" looks numeric; write an IPv4 literal as a dotted quad`);
  return name;
}

function parseHost(raw: string, bracketed: boolean, allowWildcard: boolean): { kind: HostKind; host: string } {
  const ip = canonicalIp(raw);
  if (ip !== undefined) return { kind: 'ip', host: ip };
  if (bracketed) throw new Error(`"[${raw}]" is not an IPv6 literal`);
  if (raw.startsWith('*.')) {
    if (!allowWildcard) throw new Error('a wildcard is not a destination');
    const suffix = parseName(raw.slice(2));
    if (!suffix.includes('.')) throw new Error(`wildcard "${raw}" is too broad: its suffix needs at least two labels`);
    return { kind: 'wildcard', host: suffix };
  }
  if (raw.includes('*')) throw new Error('"*" is allowed only as a leading "*." label');
  return { kind: 'name', host: parseName(raw) };
}

/** Parses one `HOST:PORT` entry; the error names the entry. */
export function parseEntry(text: string): AllowEntry {
  try {
    const { host, port } = splitHostPort(text.trim());
    return { ...parseHost(host, text.trim().startsWith('['), true), port: parsePort(port), text };
  } catch (e) {
    throw new EgressPolicyError([text], (e as Error).message);
  }
}

/** The canonical spelling of an entry (lowercase name, canonical IP, bracketed IPv6): what config and records keep. */
export function entryText(e: AllowEntry): string {
  const host = e.kind === 'wildcard' ? `*.${e.host}` : e.kind === 'ip' && e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${host}:${e.port}`;
}

/** Parses a whole list; duplicates (same canonical form) collapse to one. */
export function parseAllowList(texts: readonly string[]): AllowEntry[] {
  const seen = new Map<string, AllowEntry>();
  for (const t of texts) {
    const e = parseEntry(t);
    seen.set(`${e.kind}|${e.host}|${e.port}`, seen.get(`${e.kind}|${e.host}|${e.port}`) ?? e);
  }
  return [...seen.values()];
}

/** Parses a requested destination (a CONNECT authority or an absolute URI's host and port). */
export function parseTarget(host: string, port: string | number, bracketed = false): Target {
  const h = parseHost(host, bracketed, false) as { kind: 'name' | 'ip'; host: string };
  return { ...h, port: parsePort(String(port)) };
}

/** The entry admitting `target`, if any. A wildcard matches names strictly below its suffix, never IP literals. */
export function matches(list: readonly AllowEntry[], target: Target): AllowEntry | undefined {
  return list.find((e) => e.port === target.port && (
    e.kind === 'wildcard' ? target.kind === 'name' && target.host.endsWith(`.${e.host}`) : e.kind === target.kind && e.host === target.host));
}

/**
 * Whether `outer` admits everything `inner` admits: same port, and the same literal/name, or a wildcard
 * whose suffix is equal to or above the inner name's or wildcard's suffix. IP literals are covered only by themselves.
 */
export function covers(outer: AllowEntry, inner: AllowEntry): boolean {
  if (outer.port !== inner.port) return false;
  if (outer.kind !== 'wildcard') return outer.kind === inner.kind && outer.host === inner.host;
  if (inner.kind === 'ip') return false;
  return inner.host.endsWith(`.${outer.host}`) || (inner.kind === 'wildcard' && inner.host === outer.host);
}

function uncovered(inner: readonly AllowEntry[], outer: readonly AllowEntry[]): string[] {
  return inner.filter((i) => !outer.some((o) => covers(o, i))).map((i) => i.text);
}

/** Throws naming every agent entry that no operator ceiling entry covers. */
export function withinCeiling(agent: readonly AllowEntry[], ceiling: readonly AllowEntry[]): void {
  const bad = uncovered(agent, ceiling);
  if (bad.length) throw new EgressPolicyError(bad, 'not within the operator\'s [network] allow ceiling');
}

/** A request may only narrow the agent's list: returns the request's entries, or throws naming those that widen it. */
export function narrow(agent: readonly AllowEntry[], request: readonly AllowEntry[]): AllowEntry[] {
  const bad = uncovered(request, agent);
  if (bad.length) throw new EgressPolicyError(bad, 'a request may only narrow the agent\'s network.allow, not widen it');
  return [...request];
}
