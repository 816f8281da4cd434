// Effective limits = tightest of operator ceiling, agent limits and request limits; defaults fill gaps (DESIGN §4).
import { LIMIT_KEYS, LIMIT_WIRE_NAMES, type Limits } from '../contract/limits.js';
import { invalid } from './domain-error.js';

/**
 * `requested` holds only what the client set (0 / absent = unset). A request may only tighten: a value
 * above the operator ceiling or above the agent's own limit is rejected, naming the limit and both values.
 */
export function resolveLimits(defaults: Limits, max: Limits, agent: Partial<Limits>, requested: Partial<Limits>): Limits {
  const out = {} as Limits;
  for (const key of LIMIT_KEYS) {
    const name = LIMIT_WIRE_NAMES[key];
    const base = Math.min(agent[key] ?? defaults[key], max[key]);
    const want = requested[key];
    if (want === undefined || want === 0) {
      out[key] = base;
      continue;
    }
    if (!Number.isSafeInteger(want) || want < 0) throw invalid(`limits.${name}: ${want} is not a valid value`);
    if (want > max[key]) throw invalid(`limits.${name}: requested ${want} exceeds the operator ceiling ${max[key]}`);
    if (want > base) throw invalid(`limits.${name}: requested ${want} exceeds the agent's limit ${base} (requests may only tighten)`);
    out[key] = want;
  }
  return out;
}
