// The config's JSON Schema (`ari config schema`), generated from the limit table and the backend registry,
// so editors (taplo, VS Code "Even Better TOML") can complete and check an ari.toml.
import { limitsTableSchema } from './limits-schema.js';
import { LIMIT_TABLE } from '../contract/limits.js';
import { UNIT_VALUE_PATTERN } from '../contract/units.js';
import { BACKENDS } from '../runtimes/backends.js';

type Schema = Record<string, unknown>;

const unitValue = (description: string): Schema => ({
  description, anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: UNIT_VALUE_PATTERN }],
});
const str = (description: string): Schema => ({ type: 'string', description });
const int = (description: string, minimum = 0): Schema => ({ type: 'integer', minimum, description });
const obj = (properties: Record<string, Schema>, description?: string): Schema => ({
  type: 'object', additionalProperties: false, properties, ...(description ? { description } : {}),
});

/** One limits table, as the limit table generates it (limits-schema.ts: shared with `limitsConfigSchema`). */
function limitsSchema(description: string): Schema {
  return { ...limitsTableSchema(), description };
}

/** [network] and [agents.network]: one `allow` list of HOST:PORT entries (checked further by src/egress/policy.ts). */
function networkSchema(description: string): Schema {
  const entry = { type: 'string', pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:\\[\\]]+):[0-9]{1,5}$', description: 'HOST:PORT — a DNS name, *.suffix wildcard, IPv4 or [IPv6] literal' };
  return { ...obj({ allow: { type: 'array', minItems: 1, items: entry, description: 'allowed destinations' } }, description), required: ['allow'] };
}

/** The [runtimes.<name>] keys every backend has; the readers' key list is this object's keys. */
const SCHEDULING_SCHEMA = { concurrency: int('tasks running at once', 1), queue: int('tasks waiting beyond those running') };
export const SCHEDULING_KEYS: readonly string[] = Object.keys(SCHEDULING_SCHEMA);

/** One [[agents]] shape per registered backend: the common keys plus its own, and `runtime` naming it. */
function agentSchemas(): Schema[] {
  const common = {
    id: str('agent id'), manifest: str('manifest JSON file'), env: { type: 'object', additionalProperties: { type: 'string' } },
    network: networkSchema('egress allowlist of this agent (within [network] allow); absent = no network at all'),
  };
  return BACKENDS.map((b) => {
    // Only the limits this backend can enforce: config refuses the others (agent-config.ts).
    const all = limitsSchema(`this agent's limits (under [limits.max]; only those the ${b.name} backend enforces)`);
    const props = all.properties as Record<string, Schema>;
    const limits = { ...all, properties: Object.fromEntries(LIMIT_TABLE.filter((r) => b.enforces[r.key] !== null).map((r) => [r.wire, props[r.wire]])) };
    return {
      ...obj({ runtime: { const: b.name }, ...common, limits, ...b.agentSchema }, `an agent run by the ${b.name} backend`),
      required: ['id', 'runtime', 'manifest'],
    };
  });
}

export function configSchema(): Schema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://ari.dev/schema/config.json',
    title: 'ari daemon configuration (ari.toml)',
    ...obj({
      include: { type: 'array', items: { type: 'string' }, description: 'TOML files holding only [[agents]] tables, relative to this file' },
      server: obj({
        listen: str('host:port or unix:/path.sock'), metrics: str('host:port of /metrics, /healthz, /readyz; "" disables'),
        socket_mode: int('unix socket file mode'), shutdown_grace: unitValue('grace for in-flight tasks on shutdown'),
        max_request_bytes: unitValue('largest request'), max_input_bytes: unitValue('largest task input'),
        max_list_page: int('largest ListAgents/ListTasks page', 1), keepalive: unitValue('HTTP/2 keepalive interval'),
        max_connection_age: unitValue('connections are recycled after this'), handshake_timeout: unitValue('TLS/HTTP2 handshake timeout'),
        max_connections: int('open connections at once', 1), max_connections_per_peer: int('open connections per peer address', 1),
        health_listen: str('plaintext grpc.health.v1-only listener (kubelet probes when TLS is on)'),
        health_interval: unitValue('how often backend availability is re-checked'),
        duration_buckets: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, description: 'agent_task_duration_seconds buckets (s)' },
      }),
      limits: obj({ default: limitsSchema('limits a task gets when it sets none'), max: limitsSchema('operator ceiling') }),
      network: networkSchema('operator egress ceiling: every [agents.network] entry must fall within it'),
      runtimes: obj(Object.fromEntries(BACKENDS.map((b) => [b.name, obj({ ...SCHEDULING_SCHEMA, ...b.settingsSchema })]))),
      storage: { type: 'object', description: 'where outcomes are kept (path = SQLite directory, url = PostgreSQL fleet)' },
      auth: obj({
        tokens: { type: 'array', items: { type: 'string', minLength: 16 } }, tls_cert: str('PEM file'), tls_key: str('PEM file'),
        client_ca: str('PEM file: require client certificates'), insecure: { type: 'boolean' },
      }),
      tracing: obj({ endpoint: str('OTLP/HTTP endpoint (turns tracing on)'), service_name: str('service.name of the spans') }),
      agents: { type: 'array', items: { oneOf: agentSchemas() } },
    }),
  };
}
