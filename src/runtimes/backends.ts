// THE backend registry (and the one switch): one line per backend; names, config, schema and conformance derive from it.
import type { AgentSpec, RuntimeName } from '../contract/agent.js';
import type { SchedulingConfig } from '../contract/backend-config.js';
import type { BackendDescriptor, RuntimeContext } from './backend.js';
import { dockerBackend } from './docker/backend.js';
import { nativeBackend } from './native/backend.js';
import type { Runtime } from './runtime.js';
import { wasmBackend } from './wasm/backend.js';

/** Adding a backend = its folder (src/runtimes/<name>/backend.ts exporting a BackendDescriptor) + one line here. */
export const BACKENDS = [
  wasmBackend,
  nativeBackend,
  dockerBackend,
] as const;

type Registered = (typeof BACKENDS)[number];
/** The registered backends' names as a literal union (RuntimeName in the contract is their string supertype). */
export type BackendName = Registered['name'];
/** Every backend's validated [runtimes.<name>] settings, each typed by its descriptor. */
export type BackendConfigs = { [D in Registered as D['name']]: Parameters<D['create']>[0] };

export const RUNTIME_NAMES: readonly BackendName[] = BACKENDS.map((b) => b.name);

/** Widened for loops over the registry: each descriptor only ever sees its own settings and agents. */
type AnyDescriptor = BackendDescriptor<string, SchedulingConfig, AgentSpec>;
const byName = new Map<string, AnyDescriptor>(BACKENDS.map((b) => [b.name, b as unknown as AnyDescriptor]));

export function isBackendName(name: string): name is BackendName {
  return byName.has(name);
}

/** The descriptor of a registered backend (names are validated at the config edge; an unknown one is a bug). */
export function backendNamed(name: RuntimeName): AnyDescriptor {
  const d = byName.get(name);
  if (!d) throw new Error(`no backend named ${JSON.stringify(name)} (registered: ${RUNTIME_NAMES.join(', ')})`);
  return d;
}

/** Every registered backend's runtime (not started), each handed only its own settings. */
export async function createRuntimes(configs: BackendConfigs, ctx: RuntimeContext): Promise<Map<RuntimeName, Runtime>> {
  const settings = configs as unknown as Record<string, SchedulingConfig>;
  const made = await Promise.all(BACKENDS.map(async (b): Promise<[RuntimeName, Runtime]> => {
    const d = b as unknown as AnyDescriptor;
    return [d.name, await d.create(settings[d.name]!, { ...ctx, logger: ctx.logger.child({ runtime: d.name }) })];
  }));
  return new Map(made);
}
