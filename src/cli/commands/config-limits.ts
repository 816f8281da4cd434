// Domain limits → the wire shape formatLimits prints, by the limit table.
import { LIMIT_TABLE, type Limits, type WireLimits } from '../../contract/limits.js';

export function limitsToWireShape(l: Limits): WireLimits {
  return Object.fromEntries(LIMIT_TABLE.map((r) => [r.wire, l[r.key]])) as WireLimits;
}
