// Loads a component agent once: transpile (cached), pick its shape, instrument and compile every core module.
import { AgentLoadError } from '../../runtime.js';
import type { WasmAgentSpec } from '../agent-spec.js';
import { ARI, instrumentModule } from '../../../sandbox/wasm/instrument.js';
import { glueUrl } from './component-glue.js';
import { transpileComponent, type TranspiledComponent } from './component-transpile.js';
import type { ComponentArtifact, ComponentShape } from '../shared/worker-protocol.js';

/** What loading is bounded by: the operator's memory ceiling, and how long instrumenting may take. */
export interface LoadLimits {
  maxMemoryBytes: number;
  maxPrepareMillis: number;
}

export interface LoadedComponent {
  abi: ComponentShape;
  module: ComponentArtifact;
  /** Σ over its core modules of what an instance holds outside linear memory. */
  footprintBytes: number;
}

/**
 * The WASI interfaces the sandboxed preview2 shim provides (component-wasi.ts); anything else cannot be linked.
 * wasi:http is ours (component-http.ts): denied without a network policy, through the task's proxy with one.
 */
const PROVIDED = new Set([
  'wasi:cli/environment', 'wasi:cli/exit', 'wasi:cli/stderr', 'wasi:cli/stdin', 'wasi:cli/stdout',
  'wasi:cli/terminal-input', 'wasi:cli/terminal-output', 'wasi:cli/terminal-stderr', 'wasi:cli/terminal-stdin', 'wasi:cli/terminal-stdout',
  'wasi:sockets/instance-network', 'wasi:sockets/ip-name-lookup', 'wasi:sockets/network', 'wasi:sockets/tcp',
  'wasi:sockets/tcp-create-socket', 'wasi:sockets/udp', 'wasi:sockets/udp-create-socket',
  'wasi:filesystem/preopens', 'wasi:filesystem/types', 'wasi:io/error', 'wasi:io/poll', 'wasi:io/streams',
  'wasi:random/random', 'wasi:random/insecure', 'wasi:random/insecure-seed', 'wasi:clocks/monotonic-clock', 'wasi:clocks/wall-clock',
  'wasi:http/types', 'wasi:http/outgoing-handler',
]);

function shapeOf(t: TranspiledComponent): ComponentShape | { invalid: string } {
  const kinds = new Map(t.exports);
  if (kinds.get('executeTask') === 'function') return 'component-task';
  if (kinds.get('run') === 'instance' || [...kinds.keys()].some((n) => n.startsWith('wasi:cli/run@'))) return 'component-run';
  const names = t.exports.map(([n]) => n).join(', ') || 'nothing';
  return { invalid: `component exports neither execute-task (proto/ari/v1/agent.wit) nor wasi:cli/run (it exports ${names})` };
}

export async function loadComponent(agent: WasmAgentSpec, bytes: Uint8Array, limits: LoadLimits): Promise<LoadedComponent> {
  const fail = (why: string) => new AgentLoadError(agent.id, `component ${agent.module}: ${why}`);
  let t: TranspiledComponent;
  try {
    t = await transpileComponent(bytes);
  } catch (e) {
    throw fail(`jco cannot transpile it: ${(e as Error).message}`);
  }
  const shape = shapeOf(t);
  if (typeof shape === 'object') throw fail(shape.invalid);
  const missing = t.imports.find((i) => !PROVIDED.has(i.replace(/@.*$/, '')));
  if (missing) throw fail(`imports ${missing}, which the sandbox does not provide`);
  const cores: Record<string, WebAssembly.Module> = {};
  let footprintBytes = 0;
  for (const [name, raw] of Object.entries(t.cores)) {
    // Core modules import only what jco's glue wires between them and the shim: every import name is allowed,
    // the reserved __ari module is still refused, and all of them are validated, metered and clamped.
    let instrumented: Uint8Array<ArrayBuffer>;
    try {
      const result = instrumentModule(raw, { ...limits, allowImport: () => true });
      instrumented = result.bytes;
      footprintBytes += result.footprint.extraBytes;
    } catch (e) {
      throw fail(`core module ${name} cannot be instrumented: ${(e as Error).message}`);
    }
    try {
      cores[name] = await WebAssembly.compile(instrumented);
    } catch (e) {
      throw fail(`instrumented core module ${name} does not compile: ${(e as Error).message}`);
    }
    if (!WebAssembly.Module.exports(cores[name]).some((x) => x.name === ARI.fuelGlobal)) throw fail(`core module ${name}: instrumentation left no fuel counter`);
  }
  const http = t.imports.some((i) => i.startsWith('wasi:http/outgoing-handler'));
  return { abi: shape, module: { glueUrl: glueUrl(t.glue), cores, wasi: shape === 'component-run' || t.imports.length > 0, http }, footprintBytes };
}
