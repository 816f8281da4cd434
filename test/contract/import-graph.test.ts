// The import graph of src/: every import points to the same or a lower layer, and no file reaches itself again.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Lowest first. egress (the egress proxy) imports nothing of ours, so backends may use it beside sandbox. config sits
 * above runtimes: it reads each backend's descriptor from the registry (src/runtimes/backends.ts), while runtimes get
 * their settings handed in and never read config; it is below core. store (the PostgreSQL journal) implements core's
 * Journal beside it; client is a gRPC client (above server); conformance drives a daemon (starts one locally) and is
 * an `ari` verb, so it shares the top layer with cli.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['contract'],
  ['sandbox', 'egress'],
  ['runtimes'],
  ['config'],
  ['core', 'store'],
  ['server', 'observability'],
  ['daemon', 'client'],
  ['cli', 'conformance'],
];

function layerOf(file: string): number {
  const area = relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');
  const i = LAYERS.findIndex((l) => l.includes(area));
  if (i < 0) throw new Error(`src/${area} is in no layer: add it to LAYERS in test/contract/import-graph.test.ts`);
  return i;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative specifiers of static imports and re-exports (type-only too: a type is a dependency) and dynamic import()s. */
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\bfrom\s*['"](\.[^'"]+)['"]|\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)|^\s*import\s*['"](\.[^'"]+)['"]/gm;

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function importGraph(): Map<string, string[]> {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const targets: string[] = [];
    for (const m of stripComments(readFileSync(f, 'utf8')).matchAll(IMPORT)) {
      const target = resolve(dirname(f), (m[1] ?? m[2] ?? m[3])!).replace(/\.js$/, '.ts');
      if (!known.has(target)) throw new Error(`src/${relative(SRC, f)} imports a file that does not exist: ${relative(SRC, target)}`);
      targets.push(target);
    }
    graph.set(f, targets);
  }
  return graph;
}

const rel = (f: string) => `src/${relative(SRC, f)}`;

describe('import graph of src/', () => {
  const graph = importGraph();

  it('has no import from a lower layer to a higher one', () => {
    const upward: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        if (layerOf(to) > layerOf(from)) upward.push(`${rel(from)} → ${rel(to)}`);
      }
    }
    expect(upward, `upward imports (layers, lowest first: ${LAYERS.map((l) => l.join('/')).join(' < ')})`).toEqual([]);
  });

  it('has no cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      path.push(f);
      for (const t of graph.get(f)!) {
        if (state.get(t) === 'open') cycles.push([...path.slice(path.indexOf(t)), t].map(rel).join(' → '));
        else if (!state.has(t)) visit(t);
      }
      path.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles, 'import cycles').toEqual([]);
  });

  it('the checker sees the imports it should (a known edge of each kind)', () => {
    const edges = new Set([...graph].flatMap(([f, ts]) => ts.map((t) => `${rel(f)} → ${rel(t)}`)));
    expect(edges).toContain('src/config/limits-config.ts → src/contract/limits.ts');
    expect(edges).toContain('src/cli/main.ts → src/conformance/run.ts'); // a dynamic import()
    expect(edges).toContain('src/server/wire-types.ts → src/contract/limits.ts'); // an import type
  });
});
