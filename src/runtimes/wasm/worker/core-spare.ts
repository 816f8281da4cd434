// A core-module instance built ahead of its task: imports are late-bound and routed to the task that takes it.
import { MAX_SPARE_BYTES, Spares } from './spare-instance.js';

type HostFn = (...args: unknown[]) => unknown;

export interface CoreSpare {
  instance: WebAssembly.Instance;
  /** Routes the instance's imports to `imports`; false when they do not cover every import (instantiate afresh). */
  bind(imports: WebAssembly.Imports): boolean;
}

const spares = new Spares<WebAssembly.Module, CoreSpare>();

export function takeCoreSpare(module: WebAssembly.Module): CoreSpare | undefined {
  return spares.take(module);
}

/** `footprintBytes`: what the module holds outside linear memory (tables, globals, instrumentation). */
export function prepareCoreSpare(module: WebAssembly.Module, footprintBytes: number): void {
  spares.offer(module, () => {
    if (footprintBytes > MAX_SPARE_BYTES) return undefined;
    const decls = WebAssembly.Module.imports(module);
    if (decls.some((d) => d.kind !== 'function')) return undefined;
    let target: Record<string, Record<string, HostFn>> | undefined;
    const late: Record<string, Record<string, HostFn>> = {};
    for (const { module: ns, name } of decls) (late[ns] ??= {})[name] = (...args) => target![ns]![name]!(...args);
    const instance = new WebAssembly.Instance(module, late);
    const memory = instance.exports.memory;
    const bytes = footprintBytes + (memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : 0);
    const bind = (imports: WebAssembly.Imports): boolean => {
      const real = imports as Record<string, Record<string, unknown>>;
      if (!decls.every((d) => typeof real[d.module]?.[d.name] === 'function')) return false;
      target = real as typeof target;
      return true;
    };
    return { value: { instance, bind }, bytes };
  });
}
