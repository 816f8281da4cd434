// Where the instrumenter's additions go in a module's index spaces: types, functions, globals, and the contexts that use them.
import { AddedFunctions } from './added-functions.js';
import { chunkedHelperBody, growHelperBody, type HelperGlobals } from './bulk-helpers.js';
import { elementBytes } from './costs.js';
import { exportWrapperBody } from './export-wrapper.js';
import type { FuelContext } from './fuel.js';
import type { Remap } from './index-remap.js';
import { InstrumentError } from './instrument-error.js';
import type { Layout } from './module-layout.js';

/**
 * Types: the module's, then [] -> [], [i32] -> [i32], [i32 i32 i32] -> [], then `[P] -> [P]` loop types on
 * demand. Functions: imports, `out_of_fuel`, the module's own, then helpers and export wrappers on demand.
 * Globals: the module's, then fuel, mem_max_pages, oom, extra_bytes.
 */
export class ModulePlan {
  readonly types: { void: number; grow: number; bulk: number };
  readonly outOfFuelFunc: number;
  readonly globals: HelperGlobals;
  readonly added: AddedFunctions;
  readonly remap: Remap;
  private readonly loopTypes = new Map<number, number>();

  constructor(private readonly layout: Layout) {
    const n = layout.typeParams.length;
    this.types = { void: n, grow: n + 1, bulk: n + 2 };
    this.outOfFuelFunc = layout.importedFuncs;
    this.remap = (f) => (f < layout.importedFuncs ? f : f + 1);
    const g = layout.importedGlobals + layout.definedGlobals;
    this.globals = { fuel: g, maxPages: g + 1, oom: g + 2, extraBytes: g + 3, outOfFuelFunc: this.outOfFuelFunc, memoryCount: layout.memories.length };
    this.added = new AddedFunctions(layout.importedFuncs + 1 + layout.funcTypes.length);
  }

  /** The encoded types to append to the type section (after the rewrite asked for its loop types). */
  ownTypeBytes(): number[][] {
    const loops = [...this.loopTypes.keys()].map((ty) => {
      const p = this.layout.typeParams[ty]!;
      return [0x60, p.length, ...p, p.length, ...p];
    });
    return [[0x60, 0, 0], [0x60, 1, 0x7f, 1, 0x7f], [0x60, 3, 0x7f, 0x7f, 0x7f, 0], ...loops];
  }

  /** The function an export of original function `f` should point at: a wrapper testing the budget on return. */
  wrap(f: number): number {
    const { layout } = this;
    const type = f < layout.importedFuncs ? layout.imports.filter((i) => i.kind === 'func')[f]!.typeIndex! : layout.funcTypes[f - layout.importedFuncs]!;
    return this.added.get(`export ${f}`, type, () => exportWrapperBody(this.remap(f), layout.typeParams[type]!.length, this.globals.fuel, this.outOfFuelFunc));
  }

  contextFor(index: number, paramCount: number, checkTime: (stage: string) => void): FuelContext {
    const { layout, globals: g, added, types: t } = this;
    const memory = (m: number) => {
      if (m >= layout.memories.length) throw new InstrumentError(`function ${index}: memory ${m} does not exist`);
      return m;
    };
    return {
      funcIndex: index, paramCount, fuelGlobal: g.fuel, outOfFuelFunc: this.outOfFuelFunc, importedFuncs: layout.importedFuncs,
      remapFunc: this.remap, typeParamCount: (ty) => layout.typeParams[ty]!.length, paramsOnlyType: (ty) => this.loopType(ty),
      checkTime: () => checkTime(`instrumenting function ${index}`),
      bulk: {
        globals: g,
        elementBytes: (table) => elementBytes(layout.tables[table]?.refType ?? 0x70),
        growHelper: (m) => added.get(`grow ${memory(m)}`, t.grow, () => growHelperBody(m, g)),
        fillHelper: (m) => added.get(`fill ${memory(m)}`, t.bulk, () => chunkedHelperBody('fill', m, m)(g)),
        copyHelper: (d, s) => added.get(`copy ${memory(d)} ${memory(s)}`, t.bulk, () => chunkedHelperBody('copy', d, s)(g)),
      },
    };
  }

  private loopType(ty: number): number {
    let idx = this.loopTypes.get(ty);
    if (idx === undefined) this.loopTypes.set(ty, (idx = this.types.bulk + 1 + this.loopTypes.size));
    return idx;
  }
}
