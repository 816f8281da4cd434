// Core-module instances built while a worker is idle, so a task does not wait for instantiation (mostly the
// allocation of a fresh linear memory). Each is used by exactly one task; its imports bind to that task when taken.
// No guest code runs before then: the instrumenter moved any start function to the `__ari_start` export.

/** A spare holding more initial memory than this is not kept (it would sit idle in every worker). */
const MAX_SPARE_MEMORY = 16 * 1024 * 1024;
/** Modules with a spare per worker (the most recently run ones). */
const MAX_SPARES = 4;
/** ARI_WASM_SPARE=0 turns spares off, for A/B runs; read once, not per task. */
const SPARES_ENABLED = process.env.ARI_WASM_SPARE !== '0';

type HostFn = (...args: unknown[]) => unknown;

export interface SpareInstance {
  instance: WebAssembly.Instance;
  /** Routes the instance's imports to `imports`; false when they do not cover every import (instantiate afresh). */
  bind(imports: WebAssembly.Imports): boolean;
}

const spares = new Map<WebAssembly.Module, SpareInstance>();
/** Modules whose instantiation fails or holds much memory, or that import more than functions. */
const noSpare = new WeakSet<WebAssembly.Module>();

export function takeSpare(module: WebAssembly.Module): SpareInstance | undefined {
  const s = spares.get(module);
  spares.delete(module);
  return s;
}

export function prepareSpare(module: WebAssembly.Module): void {
  if (!SPARES_ENABLED || spares.has(module) || noSpare.has(module)) return;
  const decls = WebAssembly.Module.imports(module);
  if (decls.some((d) => d.kind !== 'function')) {
    noSpare.add(module);
    return;
  }
  let target: Record<string, Record<string, HostFn>> | undefined;
  const late: Record<string, Record<string, HostFn>> = {};
  for (const { module: ns, name } of decls) (late[ns] ??= {})[name] = (...args) => target![ns]![name]!(...args);
  try {
    const instance = new WebAssembly.Instance(module, late);
    const memory = instance.exports.memory;
    if (memory instanceof WebAssembly.Memory && memory.buffer.byteLength > MAX_SPARE_MEMORY) {
      noSpare.add(module);
      return;
    }
    spares.set(module, {
      instance,
      bind(imports) {
        const real = imports as Record<string, Record<string, unknown>>;
        if (!decls.every((d) => typeof real[d.module]?.[d.name] === 'function')) return false;
        target = real as typeof target;
        return true;
      },
    });
    if (spares.size > MAX_SPARES) spares.delete(spares.keys().next().value!);
  } catch {
    noSpare.add(module);
  }
}
