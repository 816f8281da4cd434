// Loads one wasm agent once: validate the original bytes, check ABI and imports, instrument, compile.
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { AgentLoadError } from '../../runtime.js';
import type { WasmAgentSpec } from '../agent-spec.js';
import { detectAbi, forbiddenImport, importAllowed } from './abi-detect.js';
import { detectWasmKind } from './component-detect.js';
import { loadComponent, type LoadLimits } from './component-loader.js';
import { ARI, instrumentModule, type InstrumentedModule } from '../../../sandbox/wasm/instrument.js';
import { unmeteredReason } from '../../../sandbox/wasm/metering-check.js';
import type { WasmAbi, WasmArtifact } from '../shared/worker-protocol.js';

export interface LoadedModule {
  abi: WasmAbi;
  /** The instrumented, compiled module (or a component's parts) every task instantiates afresh. */
  module: WasmArtifact;
  /** Bytes an instance holds outside linear memory (tables, globals, instrumentation), counted against memory_bytes. */
  footprintBytes: number;
  /** A core module importing its memory (`__ari.memory`): the pages of the pooled memory each instance gets. */
  memory?: { initial: number; maximum: number };
  /**
   * Why the instrumented core module may not run on the daemon's main thread (metering-check.ts found guest code
   * that could run on without asking for fuel); undefined when it may. Components never do.
   */
  notInline?: string;
}

// Every function compiled when the module is (on V8's background threads), not on its first call: a lazily compiled
// function would be compiled on a task's clock, and for an inline run on the daemon's main thread (35 ms measured for
// the 20,000-segment straight-line fixture). Read by V8 at each compile, so setting it before the first one suffices.
setFlagsFromString('--no-wasm-lazy-compilation');

async function compileOrExplain(agent: WasmAgentSpec, bytes: Uint8Array, what: string): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new AgentLoadError(agent.id, `${what} ${agent.module} does not compile: ${(e as Error).message}`);
  }
}

export async function loadModule(agent: WasmAgentSpec, { maxMemoryBytes, maxPrepareMillis }: LoadLimits): Promise<LoadedModule> {
  if (!agent.module) throw new AgentLoadError(agent.id, 'wasm agent has no "module" path');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(agent.module));
  } catch (e) {
    throw new AgentLoadError(agent.id, `cannot read module ${agent.module}: ${(e as Error).message}`);
  }
  const kind = detectWasmKind(bytes);
  if (kind === 'component') return loadComponent(agent, bytes, { maxMemoryBytes, maxPrepareMillis });
  if (typeof kind === 'object') throw new AgentLoadError(agent.id, `module ${agent.module}: ${kind.invalid}`);
  // Validate before instrumenting: instrumentation could otherwise turn an invalid module into a valid one.
  const original = await compileOrExplain(agent, bytes, 'module');
  const abi = detectAbi(WebAssembly.Module.exports(original));
  if (typeof abi === 'object') throw new AgentLoadError(agent.id, `module ${agent.module}: ${abi.invalid}`);
  const bad = forbiddenImport(abi, WebAssembly.Module.imports(original));
  if (bad) throw new AgentLoadError(agent.id, `module ${agent.module} imports ${bad}, which a ${abi} module may not import`);
  let instrumented: InstrumentedModule;
  try {
    const allowImport = (m: string, n: string, kind: string) => importAllowed(abi, m, n, kind === 'func' ? 'function' : kind);
    instrumented = instrumentModule(bytes, { maxMemoryBytes, allowImport, maxPrepareMillis, importMemory: true });
  } catch (e) {
    throw new AgentLoadError(agent.id, `module ${agent.module} cannot be instrumented: ${(e as Error).message}`);
  }
  const module = await compileOrExplain(agent, instrumented.bytes, 'instrumented module');
  if (!WebAssembly.Module.exports(module).some((e) => e.name === ARI.fuelGlobal)) {
    throw new AgentLoadError(agent.id, `module ${agent.module}: instrumentation left no fuel counter`);
  }
  const { importedMemory } = instrumented;
  const notInline = unmeteredReason(instrumented.bytes);
  return { abi, module, footprintBytes: instrumented.footprint.extraBytes, ...(importedMemory ? { memory: importedMemory } : {}), ...(notInline ? { notInline } : {}) };
}
