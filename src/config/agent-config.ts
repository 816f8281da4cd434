// Reads one [[agents]] entry: the common keys here, the runtime's own keys by its registered backend descriptor.
import { readFileSync } from 'node:fs';
import type { AgentManifest, AgentSpec } from '../contract/agent.js';
import type { Limits } from '../contract/limits.js';
import { unenforcedLimits, unenforcedLimitsMessage } from '../runtimes/backend.js';
import { backendNamed, isBackendName, RUNTIME_NAMES } from '../runtimes/backends.js';
import { ConfigError, existingFile, resolvePath, str, strMap, table } from './config-reader.js';
import { checkUnderCeiling, readLimits } from './limits-config.js';
import { readManifest } from './manifest.js';
import { readAgentNetwork } from './network-config.js';
import type { AllowEntry } from '../egress/policy.js';

/** The keys every agent has, whatever its runtime (the schema's common part uses the same list). */
export const COMMON_AGENT_KEYS = ['id', 'runtime', 'manifest', 'limits', 'env', 'network'] as const;
const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;

function manifestAt(path: string, at: string): AgentManifest {
  try {
    return readManifest(JSON.parse(readFileSync(path, 'utf8')), path);
  } catch (e) {
    if (e instanceof SyntaxError) throw new ConfigError(`${at}.manifest: ${path} is not valid JSON: ${e.message}`);
    throw e;
  }
}

/** `network`: the operator's [network] ceiling (undefined: none, so no agent may have a network policy). */
export function readAgent(value: unknown, index: number, baseDir: string, max: Limits, network?: readonly AllowEntry[]): AgentSpec {
  const at0 = `agents[${index}]`;
  // Read id and runtime first, so later errors can name the agent.
  const loose = table(value, at0, Object.keys((value ?? {}) as object));
  const id = str(loose, 'id', at0);
  if (!ID_PATTERN.test(id)) throw new ConfigError(`${at0}.id: ${JSON.stringify(id)} must match ${ID_PATTERN}`);
  const at = `agents[${index}] (${id})`;
  const runtime = str(loose, 'runtime', at);
  if (!isBackendName(runtime)) {
    throw new ConfigError(`${at}.runtime: unknown runtime ${JSON.stringify(runtime)} (known: ${RUNTIME_NAMES.join(', ')})`);
  }
  const backend = backendNamed(runtime);
  const t = table(value, at, [...COMMON_AGENT_KEYS, ...Object.keys(backend.agentSchema)]);
  const manifest = manifestAt(existingFile(resolvePath(baseDir, str(t, 'manifest', at)), `${at}.manifest`), at);
  const limits = readLimits(t.limits, `${at}.limits`);
  checkUnderCeiling(limits, max, `${at}.limits`);
  // A limit the backend can never enforce would be silently ignored on every task: refused here, where it is written.
  const unenforced = unenforcedLimits(limits, backend.enforces);
  if (unenforced.length) throw new ConfigError(`${at}.limits: ${unenforcedLimitsMessage(runtime, unenforced)}`);
  const policy = readAgentNetwork(t.network, at, network);
  const base = { id, manifest, limits, env: strMap(t, 'env', at), baseDir, ...(policy ? { network: policy } : {}) };
  return backend.readAgent({ table: t, at, baseDir, base });
}
