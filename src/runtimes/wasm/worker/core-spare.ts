// A core-module instance built ahead of its task: imports are late-bound and routed to the task that takes it.
import { ARI } from '../../../sandbox/wasm/instrument.js';
import { takeMemory, type MemoryShape } from './memory-pool.js';
import { MAX_SPARE_BYTES, Spares } from './spare-instance.js';

type HostFn = (...args: unknown[]) => unknown;

export interface CoreSpare {
  instance: WebAssembly.Instance;
  /** The pooled memory the instance imports (the task that takes the spare releases it). */
  memory?: WebAssembly.Memory;
  /** Routes the instance's imports to `imports`; false when they do not cover every import (instantiate afresh). */
  bind(imports: WebAssembly.Imports): boolean;
}

const spares = new Spares<WebAssembly.Module, CoreSpare>();
/** A module's import list, read once: WebAssembly.Module.imports builds it anew on every call. */
const importLists = new WeakMap<WebAssembly.Module, { decls: WebAssembly.ModuleImportDescriptor[]; importsMemory: boolean }>();

function importsOf(module: WebAssembly.Module): { decls: WebAssembly.ModuleImportDescriptor[]; importsMemory: boolean } {
  let list = importLists.get(module);
  if (!list) {
    const all = WebAssembly.Module.imports(module);
    const pooled = (d: WebAssembly.ModuleImportDescriptor) => d.kind === 'memory' && d.module === ARI.importModule && d.name === ARI.memoryImport;
    const decls = all.filter((d) => !pooled(d));
    importLists.set(module, (list = { decls, importsMemory: decls.length !== all.length }));
  }
  return list;
}

export function takeCoreSpare(module: WebAssembly.Module): CoreSpare | undefined {
  return spares.take(module);
}

/** `footprintBytes`: what the module holds outside linear memory (tables, globals, instrumentation). */
export function prepareCoreSpare(module: WebAssembly.Module, footprintBytes: number, memoryShape?: MemoryShape): void {
  spares.offer(module, () => {
    if (footprintBytes > MAX_SPARE_BYTES) return undefined;
    const { decls, importsMemory } = importsOf(module);
    if (decls.some((d) => d.kind !== 'function') || (importsMemory && !memoryShape)) return undefined;
    let target: Record<string, Record<string, HostFn>> | undefined;
    const late: Record<string, Record<string, unknown>> = {};
    for (const { module: ns, name } of decls) (late[ns] ??= {})[name] = (...args: unknown[]) => target![ns]![name]!(...args);
    const pooledMemory = importsMemory ? takeMemory(memoryShape!) : undefined;
    if (pooledMemory) (late[ARI.importModule] ??= {})[ARI.memoryImport] = pooledMemory;
    const instance = new WebAssembly.Instance(module, late as WebAssembly.Imports);
    const memory = instance.exports.memory;
    const bytes = footprintBytes + (memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : 0);
    const bind = (imports: WebAssembly.Imports): boolean => {
      const real = imports as Record<string, Record<string, unknown>>;
      if (!decls.every((d) => typeof real[d.module]?.[d.name] === 'function')) return false;
      target = real as typeof target;
      return true;
    };
    return { value: { instance, bind, memory: pooledMemory }, bytes };
  });
}
