// Parses the index-space-defining sections: types, imports, functions, tables, memories, globals, exports.
import { InstrumentError } from './instrument-error.js';
import { valueType } from './opcodes.js';
import { Reader } from './reader.js';
import { SEC, type Section } from './sections.js';

export type ExternKind = 'func' | 'table' | 'memory' | 'global' | 'tag';
export const KINDS: ExternKind[] = ['func', 'table', 'memory', 'global', 'tag'];

export interface Limits {
  flags: number;
  min: number;
  max?: number;
}

export interface Import {
  module: string;
  name: string;
  kind: ExternKind;
  /** Type index of a function or tag import. */
  typeIndex?: number;
  /** Limits of a table or memory import. */
  limits?: Limits;
  /** Element type of a table import; value type and mutability of a global import. */
  valType?: number;
  mutable?: number;
}

export interface Export {
  name: string;
  kind: ExternKind;
  index: number;
}

export interface Layout {
  /** Parameter value types of each function type. */
  typeParams: number[][];
  imports: Import[];
  importedFuncs: number;
  importedGlobals: number;
  /** Type index of each defined function. */
  funcTypes: number[];
  tables: { refType: number; limits: Limits }[];
  memories: Limits[];
  definedGlobals: number;
  exports: Export[];
  start?: number;
}

export function readLimits(r: Reader, what: string): Limits {
  const flags = r.u8();
  if (flags & 0x04) throw new InstrumentError(`${what} is 64-bit (memory64/table64 is not supported)`);
  if (flags & 0x02) throw new InstrumentError(`${what} is shared (threads are not supported)`);
  if (flags > 1) throw new InstrumentError(`${what} has unsupported limits flags ${flags}`);
  const min = r.u32();
  return flags & 1 ? { flags, min, max: r.u32() } : { flags, min };
}

function vec<T>(s: Section | undefined, item: (r: Reader, i: number) => T): T[] {
  if (!s) return [];
  const r = new Reader(s.payload);
  const n = r.u32();
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(item(r, i));
  return out;
}

function countOf(s: Section | undefined): number {
  return s ? new Reader(s.payload).u32() : 0;
}

function readImport(r: Reader): Import {
  const module = r.name();
  const name = r.name();
  const kind = KINDS[r.u8()];
  const where = `import ${module}.${name}`;
  switch (kind) {
    case 'func': return { module, name, kind, typeIndex: r.u32() };
    case 'table': { const valType = valueType(r, where); return { module, name, kind, valType, limits: readLimits(r, where) }; }
    case 'memory': return { module, name, kind, limits: readLimits(r, where) };
    case 'global': return { module, name, kind, valType: valueType(r, where), mutable: r.u8() };
    case 'tag': { r.u8(); return { module, name, kind, typeIndex: r.u32() }; }
    default: throw new InstrumentError(`${where} has an unknown kind`);
  }
}

export function readLayout(sections: Section[]): Layout {
  const find = (id: number) => sections.find((s) => s.id === id);
  const typeParams = vec(find(SEC.type), (r, i) => {
    const form = r.u8();
    if (form !== 0x60) throw new InstrumentError(`type ${i} has form 0x${form.toString(16)} (GC types are not supported)`);
    const params: number[] = [];
    for (let p = r.u32(); p > 0; p--) params.push(valueType(r, `type ${i}`));
    const results = r.u32();
    for (let p = 0; p < results; p++) valueType(r, `type ${i}`);
    return params;
  });
  const imports = vec(find(SEC.import), readImport);
  const count = (k: ExternKind) => imports.filter((i) => i.kind === k).length;
  const start = find(SEC.start);
  return {
    typeParams,
    imports,
    importedFuncs: count('func'),
    importedGlobals: count('global'),
    funcTypes: vec(find(SEC.function), (r) => r.u32()),
    tables: [
      ...imports.filter((i) => i.kind === 'table').map((i) => ({ refType: i.valType!, limits: i.limits! })),
      ...vec(find(SEC.table), (r, i) => ({ refType: valueType(r, `table ${i}`), limits: readLimits(r, `table ${i}`) })),
    ],
    memories: [...imports.filter((i) => i.kind === 'memory').map((i) => i.limits!), ...vec(find(SEC.memory), (r, i) => readLimits(r, `memory ${i}`))],
    definedGlobals: countOf(find(SEC.global)),
    exports: vec(find(SEC.export), (r) => ({ name: r.name(), kind: KINDS[r.u8()]!, index: r.u32() })),
    start: start ? new Reader(start.payload).u32() : undefined,
  };
}
