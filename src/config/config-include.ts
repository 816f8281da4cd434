// `include = ["conformance-agents.toml"]`: agent lists kept in their own files, and the bucket list reader.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { AgentSpec } from '../contract/agent.js';
import type { Limits } from '../contract/limits.js';
import { readAgent } from './agent-config.js';
import { ConfigError, table, type Table } from './config-reader.js';
import type { AllowEntry } from '../egress/policy.js';

/**
 * Each included file holds only [[agents]] tables (paths relative to that file), so an include can add agents
 * but never silently change the daemon's server, limits or auth. Includes do not nest.
 */
export function includedAgents(files: string[], baseDir: string, max: Limits, firstIndex: number, network?: readonly AllowEntry[]): AgentSpec[] {
  const out: AgentSpec[] = [];
  for (const f of files) {
    const path = resolve(baseDir, f);
    let doc: Table;
    try {
      doc = parseToml(readFileSync(path, 'utf8')) as Table;
    } catch (e) {
      throw new ConfigError(`include ${JSON.stringify(f)}: cannot read ${path}: ${(e as Error).message}`);
    }
    const t = table(doc, `include ${JSON.stringify(f)} (${path})`, ['agents']);
    const list = t.agents ?? [];
    if (!Array.isArray(list)) throw new ConfigError(`${path}: agents: expected [[agents]] tables`);
    for (const a of list) out.push(readAgent(a, firstIndex + out.length, dirname(path), max, network));
  }
  return out;
}

export function buckets(v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !(x > 0))) {
    throw new ConfigError(`server.duration_buckets: expected a non-empty array of positive numbers (seconds), got ${JSON.stringify(v)}`);
  }
  const sorted = [...(v as number[])].sort((a, b) => a - b);
  if (sorted.some((x, i) => i > 0 && x === sorted[i - 1])) throw new ConfigError(`server.duration_buckets: ${JSON.stringify(v)} repeats a bucket`);
  return sorted;
}
