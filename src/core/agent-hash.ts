// The fingerprint of what an agent is to a client: id, backend, manifest and limits. Replicas claim only matching tasks.
import { createHash } from 'node:crypto';
import type { AgentSpec } from '../contract/agent.js';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Per spec object: every task of an agent records its hash, and canonicalising a manifest costs more than a trivial task. */
const cache = new WeakMap<AgentSpec, string>();

/** Paths are left out on purpose: the same agent installed at another place on another host is the same agent. */
export function agentHash(a: AgentSpec): string {
  let h = cache.get(a);
  if (h === undefined) {
    h = createHash('sha256').update(canonical([a.id, a.runtime, a.manifest, a.limits, a.env])).digest('hex').slice(0, 32);
    cache.set(a, h);
  }
  return h;
}
