// Effective limits = tightest of operator ceiling, agent limits and request limits; defaults fill gaps (DESIGN §4).
import type { RuntimeName } from '../contract/agent.js';
import { LIMIT_TABLE, type Limits } from '../contract/limits.js';
import type { LimitEnforcement } from '../runtimes/runtime.js';
import { invalid } from './domain-error.js';

/** The backend a task will run on, and what it can enforce. */
export interface EnforcingBackend {
  name: RuntimeName;
  enforces: LimitEnforcement;
}

/**
 * `requested` holds only what the client set (0 / absent = unset). A request may only tighten: a value
 * above the operator ceiling or above the agent's own limit is rejected, naming the limit and both values.
 * With a `backend`, a request that sets a limit the backend cannot enforce is rejected, naming both. A default it
 * cannot enforce is no error: it stays in the resolved limits (backends compute with every row, e.g. "CPU spent"
 * tests) and simply has no mechanism applying it there, as `ari health` shows.
 */
export function resolveLimits(defaults: Limits, max: Limits, agent: Partial<Limits>, requested: Partial<Limits>, backend?: EnforcingBackend): Limits {
  const out = {} as Limits;
  for (const { key, wire: name } of LIMIT_TABLE) {
    const base = Math.min(agent[key] ?? defaults[key], max[key]);
    const want = requested[key];
    const unenforced = backend !== undefined && backend.enforces[key] === null;
    if (want === undefined || want === 0) {
      out[key] = base;
      continue;
    }
    if (unenforced) throw invalid(`limits.${name}: ${name} is not enforced by the ${backend.name} backend`);
    if (!Number.isSafeInteger(want) || want < 0) throw invalid(`limits.${name}: ${want} is not a valid value`);
    if (want > max[key]) throw invalid(`limits.${name}: requested ${want} exceeds the operator ceiling ${max[key]}`);
    if (want > base) throw invalid(`limits.${name}: requested ${want} exceeds the agent's limit ${base} (requests may only tighten)`);
    out[key] = want;
  }
  return out;
}
