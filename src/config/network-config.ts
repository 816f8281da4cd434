// Reads [network] (the operator's egress ceiling) and an agent's [agents.network] (its allowlist, within the ceiling).
import type { NetworkPolicy } from '../contract/agent.js';
import { EgressPolicyError, entryText, parseAllowList, withinCeiling, type AllowEntry } from '../egress/policy.js';
import { ConfigError, strList, table } from './config-reader.js';

/** The one key of both tables; the schema and the readers use this list. */
export const NETWORK_KEYS = ['allow'] as const;

function allowList(value: unknown, at: string): AllowEntry[] {
  const t = table(value, at, NETWORK_KEYS);
  const texts = strList(t, 'allow', at);
  if (!texts || texts.length === 0) throw new ConfigError(`${at}.allow: expected a non-empty list of "HOST:PORT" entries`);
  try {
    return parseAllowList(texts);
  } catch (e) {
    throw e instanceof EgressPolicyError ? new ConfigError(`${at}.allow: ${e.message}`) : e;
  }
}

/** [network]: undefined when absent — then no agent may have a network policy (deny by default). */
export function readNetworkCeiling(value: unknown): readonly AllowEntry[] | undefined {
  return value === undefined ? undefined : allowList(value, 'network');
}

/** [agents.network] of one agent (`at` names it, e.g. `agents[2] (fetcher)`); undefined = no network at all. */
export function readAgentNetwork(value: unknown, at: string, ceiling: readonly AllowEntry[] | undefined): NetworkPolicy | undefined {
  if (value === undefined) return undefined;
  const entries = allowList(value, `${at}.network`);
  if (!ceiling) {
    throw new ConfigError(`${at}.network: the config has no [network] allow ceiling; egress is denied by default, so add [network] allow = [...] covering ${entries.map((e) => `"${e.text}"`).join(', ')}`);
  }
  try {
    withinCeiling(entries, ceiling);
  } catch (e) {
    if (!(e instanceof EgressPolicyError)) throw e;
    const list = e.entries.map((t) => JSON.stringify(t)).join(', ');
    throw new ConfigError(`${at}.network.allow: ${list} ${e.entries.length > 1 ? 'are' : 'is'} not within [network] allow (${ceiling.map(entryText).join(', ')})`);
  }
  return { allow: entries.map(entryText) };
}
