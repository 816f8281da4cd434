// The JSON Schema of the config's limits ([limits.default], [limits.max], [agents.limits]), generated from the limit table.
import { LIMIT_TABLE } from '../contract/limits.js';
import { UNIT_VALUE_PATTERN, UNITS } from '../contract/units.js';

type Schema = Record<string, unknown>;

/** One limits table: every row a positive integer or a string with a unit (checked further by the unit parser). */
export function limitsTableSchema(): Schema {
  const properties: Record<string, Schema> = {};
  for (const r of LIMIT_TABLE) {
    properties[r.wire] = {
      description: `${r.help} (${UNITS[r.unit].metavar}; built-in default ${r.default}, ceiling ${r.ceiling})`,
      oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: UNIT_VALUE_PATTERN }],
    };
  }
  return { type: 'object', additionalProperties: false, properties };
}

/** The [limits] section: `default` and `max`, each a limits table. */
export function limitsConfigSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'ari config: [limits]',
    type: 'object',
    additionalProperties: false,
    properties: { default: limitsTableSchema(), max: limitsTableSchema() },
  };
}
