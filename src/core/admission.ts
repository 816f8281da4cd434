// Turns a raw request into an admitted task: agent, capability, JSON input, schema, limits, id, fingerprint.
import * as crypto from 'node:crypto';
import { createHash, randomUUID } from 'node:crypto';
import type { Limits } from '../contract/limits.js';
import type { AgentSpec, NetworkPolicy, RuntimeName } from '../contract/agent.js';
import type { LimitEnforcement } from '../runtimes/runtime.js';
import type { AgentRegistry } from './agent-registry.js';
import { invalid } from './domain-error.js';
import { checkJsonDepth } from './json-depth.js';
import { resolveLimits } from './limits-resolver.js';
import { EgressPolicyError, entryText, narrow, parseAllowList } from '../egress/policy.js';

export interface TaskSubmission {
  /** Client's idempotency key; generated when empty. */
  taskId: string;
  agentId: string;
  capability: string;
  /** Raw JSON bytes as received. */
  input: Uint8Array;
  /** Only what the client set (0 = unset). */
  limits: Partial<Limits>;
  /** The request's `limits.network.allow`: may only narrow the agent's allowlist. Absent = the agent's list. */
  network?: { allow: string[] };
  /** The caller's W3C trace context (gRPC metadata), so the task's span continues its trace. */
  traceparent?: string;
  tracestate?: string;
}

export interface AdmittedTask {
  taskId: string;
  agent: AgentSpec;
  capability: string;
  input: unknown;
  limits: Limits;
  /** The effective egress allowlist; absent = no network. */
  network?: NetworkPolicy;
  requestHash: string;
}

export interface AdmissionPolicy {
  defaults: Limits;
  max: Limits;
  maxInputBytes: number;
  /** What each backend enforces: a request setting a limit its backend cannot enforce is refused. */
  enforces: (runtime: RuntimeName) => LimitEnforcement;
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** JSON with object keys sorted, so equal requests hash equal whatever their spacing or key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The same digest as createHash; the one-shot form (Node ≥ 20.12) skips building a Hash object per task. */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : createHash('sha256').update(text).digest('hex');
}

function parseInput(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.trim() === '') throw invalid('input is empty: expected a JSON document');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw invalid(`input is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The task's effective allowlist: the agent's, or the request's narrowing of it (canonical, sorted for the hash).
 * An empty request list narrows to nothing: no network (also accepted for an agent without a policy, where it asks
 * for what it already has). A request cannot give network to an agent without a policy.
 */
function effectiveNetwork(agent: AgentSpec, request: TaskSubmission['network']): NetworkPolicy | undefined {
  if (!request) return agent.network;
  if (request.allow.length === 0) return undefined;
  if (!agent.network) throw invalid(`agent ${JSON.stringify(agent.id)} has no network policy: limits.network cannot be set for it`);
  try {
    const allow = narrow(parseAllowList(agent.network.allow), parseAllowList(request.allow)).map(entryText).sort();
    return allow.length ? { allow } : undefined;
  } catch (e) {
    throw e instanceof EgressPolicyError ? invalid(`limits.network.allow: ${e.message}`) : e;
  }
}

export function admit(sub: TaskSubmission, registry: AgentRegistry, policy: AdmissionPolicy): AdmittedTask {
  if (sub.taskId !== '' && !TASK_ID.test(sub.taskId)) {
    throw invalid(`task_id ${JSON.stringify(sub.taskId.slice(0, 140))} is invalid: 1–128 characters of letters, digits and . _ : @ -`);
  }
  const agent = registry.get(sub.agentId);
  if (sub.capability === '') throw invalid('capability is required');
  if (sub.input.byteLength > policy.maxInputBytes) {
    throw invalid(`input is ${sub.input.byteLength} bytes, above the limit of ${policy.maxInputBytes} bytes (server.max_input_bytes)`);
  }
  checkJsonDepth(sub.input); // before anything recursive (parse, schema, hash) walks it
  const input = parseInput(sub.input);
  registry.validateInput(agent.id, sub.capability, input);
  const limits = resolveLimits(policy.defaults, policy.max, agent.limits, sub.limits, { name: agent.runtime, enforces: policy.enforces(agent.runtime) });
  const network = effectiveNetwork(agent, sub.network);
  // The request's own list joins the fingerprint only when set, so the hashes of requests without one are unchanged.
  const asked = [agent.id, sub.capability, input, Object.fromEntries(Object.entries(sub.limits).filter(([, v]) => v))];
  const requestHash = sha256Hex(canonical(sub.network ? [...asked, { network: network?.allow ?? [] }] : asked));
  return { taskId: sub.taskId || randomUUID(), agent, capability: sub.capability, input, limits, ...(network ? { network } : {}), requestHash };
}
