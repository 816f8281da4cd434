// Decides a core module's ABI from its exports and enforces what each ABI may import.
import { SEED_EXPORTS, SEED_IMPORTS, WASI_MODULE } from '../shared/abi-names.js';
import type { WasmAbi } from '../shared/worker-protocol.js';

type Descriptor = WebAssembly.ModuleExportDescriptor;

/** Returns the ABI, or a reason naming what is missing. */
export function detectAbi(exports: Descriptor[]): WasmAbi | { invalid: string } {
  const kinds = new Map(exports.map((e) => [e.name, e.kind]));
  const reserved = exports.find((e) => e.name.startsWith('__ari'));
  if (reserved) return { invalid: `export ${JSON.stringify(reserved.name)} uses the reserved __ari prefix` };
  const seedWanted: Record<(typeof SEED_EXPORTS)[number], string> = { memory: 'memory', alloc: 'function', execute_task: 'function' };
  if (kinds.has('execute_task')) {
    for (const [name, kind] of Object.entries(seedWanted)) {
      if (kinds.get(name) !== kind) return { invalid: `seed ABI module must export ${kind} ${JSON.stringify(name)}` };
    }
    return 'seed';
  }
  if (kinds.get('_start') === 'function') {
    if (kinds.get('memory') !== 'memory') return { invalid: 'WASI command must export its memory as "memory"' };
    return 'wasi';
  }
  return { invalid: 'module exports neither the seed ABI (memory, alloc, execute_task) nor a WASI command (_start)' };
}

/** Whether a module of `abi` may import `module.name` of `kind`. */
export function importAllowed(abi: WasmAbi, module: string, name: string, kind = 'function'): boolean {
  if (kind !== 'function') return false;
  return abi === 'seed' ? SEED_IMPORTS.has(`${module}.${name}`) : module === WASI_MODULE;
}

/** The first import the ABI does not allow, spelled for an error message. */
export function forbiddenImport(abi: WasmAbi, imports: WebAssembly.ModuleImportDescriptor[]): string | undefined {
  const bad = imports.find((i) => !importAllowed(abi, i.module, i.name, i.kind));
  return bad ? `${bad.kind} ${bad.module}.${bad.name}` : undefined;
}
