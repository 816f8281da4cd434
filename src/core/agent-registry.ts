// The hosted agents by id, with each capability's input schema compiled once.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { AgentSpec } from '../contract/agent.js';
import { invalid, notFound } from './domain-error.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface RegisteredAgent {
  spec: AgentSpec;
  validators: Map<string, ValidateFunction>;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  if (!errors?.length) return 'input does not match the schema';
  return errors
    .slice(0, 5)
    .map((e) => {
      const path = e.instancePath === '' ? '(root)' : e.instancePath;
      const extra = e.keyword === 'additionalProperties' ? ` (${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)})` :
        e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})` : '';
      return `input${path === '(root)' ? '' : path}: ${e.message}${extra}`;
    })
    .join('; ');
}

export class AgentRegistry {
  private readonly agents = new Map<string, RegisteredAgent>();
  private readonly ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

  constructor(specs: AgentSpec[]) {
    for (const spec of specs) {
      const validators = new Map<string, ValidateFunction>();
      for (const cap of spec.manifest.capabilities) {
        try {
          validators.set(cap.name, this.ajv.compile(cap.schema));
        } catch (e) {
          throw new Error(`agent ${JSON.stringify(spec.id)}: capability ${JSON.stringify(cap.name)} has an invalid JSON Schema: ${(e as Error).message}`);
        }
      }
      this.agents.set(spec.id, { spec, validators });
    }
  }

  list(): AgentSpec[] {
    return [...this.agents.values()].map((a) => a.spec);
  }

  /** Empty id resolves when exactly one agent is hosted (the seed's GetManifest(Empty)). */
  get(id: string): AgentSpec {
    if (id === '' && this.agents.size === 1) return [...this.agents.values()][0].spec;
    const a = this.agents.get(id);
    if (!a) throw notFound(id === '' ? 'agent_id is required (this daemon hosts several agents)' : `unknown agent ${JSON.stringify(id)}`);
    return a.spec;
  }

  /** Validates input against the capability's schema; errors name the failing path. */
  validateInput(agentId: string, capability: string, input: unknown): void {
    const a = this.agents.get(agentId);
    if (!a) throw notFound(`unknown agent ${JSON.stringify(agentId)}`);
    const validate = a.validators.get(capability);
    if (!validate) {
      const known = [...a.validators.keys()].join(', ');
      throw notFound(`agent ${JSON.stringify(agentId)} has no capability ${JSON.stringify(capability)} (it has: ${known})`);
    }
    if (!validate(input)) throw invalid(`schema violation for ${agentId}/${capability}: ${describe(validate.errors)}`);
  }
}
