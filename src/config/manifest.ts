// Validates an agent manifest file (the seed's AgentManifest as JSON) into the trusted shape.
import type { AgentManifest, CapabilitySpec } from '../contract/agent.js';
import { ConfigError } from './config-reader.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function readManifest(doc: unknown, file: string): AgentManifest {
  if (!isObject(doc)) throw new ConfigError(`${file}: manifest must be a JSON object`);
  const text = (k: string, required: boolean): string => {
    const v = doc[k];
    if (v === undefined && !required) return '';
    if (typeof v !== 'string') throw new ConfigError(`${file}: "${k}" must be a string`);
    return v;
  };
  if (!Array.isArray(doc.capabilities) || doc.capabilities.length === 0) {
    throw new ConfigError(`${file}: "capabilities" must be a non-empty array`);
  }
  const seen = new Set<string>();
  const capabilities: CapabilitySpec[] = doc.capabilities.map((c, i) => {
    if (!isObject(c) || typeof c.name !== 'string' || c.name === '') {
      throw new ConfigError(`${file}: capabilities[${i}].name must be a non-empty string`);
    }
    if (seen.has(c.name)) throw new ConfigError(`${file}: capability ${JSON.stringify(c.name)} declared twice`);
    seen.add(c.name);
    if (c.schema !== undefined && !isObject(c.schema) && typeof c.schema !== 'boolean') {
      throw new ConfigError(`${file}: capabilities[${i}].schema must be a JSON Schema object`);
    }
    return {
      name: c.name,
      description: typeof c.description === 'string' ? c.description : '',
      schema: isObject(c.schema) ? c.schema : {},
    };
  });
  const requirements: Record<string, string> = {};
  if (isObject(doc.requirements)) {
    for (const [k, v] of Object.entries(doc.requirements)) requirements[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { name: text('name', true), version: text('version', false) || '0.0.0', description: text('description', false), capabilities, requirements };
}
