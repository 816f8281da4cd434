// The backend registry is the one list: every backend gives a full descriptor from its own folder, and config, the
// config schema and conformance derive their backend lists from it; parsing config never loads a runtime class.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import pino from 'pino';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { COMMON_AGENT_KEYS } from '../../src/config/agent-config.js';
import { configSchema, SCHEDULING_KEYS } from '../../src/config/config-schema.js';
import { BACKENDS as CONFORMANCE_BACKENDS, KILL_BOUND_MS } from '../../src/conformance/case-types.js';
import { CEILING_LIMITS, DEFAULT_LIMITS, LIMIT_KEYS } from '../../src/contract/limits.js';
import { BACKENDS, backendNamed, createRuntimes, RUNTIME_NAMES } from '../../src/runtimes/backends.js';
import { configAt } from '../helpers/config-at.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const names = BACKENDS.map((b) => b.name);
const dir = mkdtempSync(join(tmpdir(), 'ari-registry-'));
writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'M', capabilities: [{ name: 'run' }] }));
const { load, error } = configAt(dir);

describe('every registered backend', () => {
  it('has a unique lower-case name and lives in its own folder, src/runtimes/<name>/backend.ts', () => {
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) {
      expect(n).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(existsSync(join(SRC, 'runtimes', n, 'backend.ts')), `src/runtimes/${n}/backend.ts`).toBe(true);
      expect(readFileSync(join(SRC, 'runtimes', n, 'backend.ts'), 'utf8')).toMatch(new RegExp(`name: '${n}'`));
    }
  });

  it('provides every descriptor field: scheduling defaults, schema fragments, readers, enforcement, kill bound, factory', () => {
    for (const b of BACKENDS) {
      expect(b.scheduling.concurrency, b.name).toBeGreaterThanOrEqual(1);
      expect(b.scheduling.queue, b.name).toBeGreaterThanOrEqual(0);
      for (const [key, s] of [...Object.entries(b.settingsSchema), ...Object.entries(b.agentSchema)]) {
        expect(key, b.name).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(typeof s.description === 'string' && s.description.length > 0, `${b.name}.${key} has a description`).toBe(true);
      }
      for (const k of SCHEDULING_KEYS) expect(Object.keys(b.settingsSchema), `${b.name} re-declares ${k}`).not.toContain(k);
      for (const k of COMMON_AGENT_KEYS) expect(Object.keys(b.agentSchema), `${b.name} re-declares ${k}`).not.toContain(k);
      for (const f of [b.readSettings, b.readAgent, b.runs, b.create]) expect(typeof f, b.name).toBe('function');
      expect(Object.keys(b.enforces).sort(), b.name).toEqual([...LIMIT_KEYS].sort());
      for (const k of ['timeoutMs', 'memoryBytes', 'outputBytes'] as const) expect(b.enforces[k], `${b.name} ${k}`).not.toBeNull();
      expect(Number.isInteger(b.killBoundMs) && b.killBoundMs > 0, `${b.name} killBoundMs`).toBe(true);
    }
  });

  it('creates its runtime lazily, named as registered, never enforcing a limit its descriptor says it cannot', async () => {
    const runtimes = await createRuntimes(load('').backends, {
      logger: pino({ level: 'silent' }), daemonId: 'registry-test', ceiling: CEILING_LIMITS, agentLimits: () => DEFAULT_LIMITS,
    });
    try {
      expect([...runtimes.keys()]).toEqual(names);
      for (const b of BACKENDS) {
        const rt = runtimes.get(b.name)!;
        expect(rt.name).toBe(b.name);
        for (const k of LIMIT_KEYS) if (b.enforces[k] === null) expect(rt.enforces[k], `${b.name} ${k}`).toBeNull();
      }
    } finally {
      await Promise.all([...runtimes.values()].map((r) => r.close()));
    }
  });
});

describe('lists derived from the registry', () => {
  it('RUNTIME_NAMES, conformance BACKENDS and KILL_BOUND_MS are the registry, in its order', () => {
    expect(RUNTIME_NAMES).toEqual(names);
    expect(CONFORMANCE_BACKENDS).toEqual(names);
    expect(KILL_BOUND_MS).toEqual(Object.fromEntries(BACKENDS.map((b) => [b.name, b.killBoundMs])));
  });

  it('config reads one [runtimes.<name>] per registered backend with exactly the scheduling keys plus its own', () => {
    const c = load('');
    expect(Object.keys(c.backends)).toEqual(names);
    for (const b of BACKENDS) {
      expect(c.backends[b.name]).toMatchObject(b.scheduling);
      const allowed = [...SCHEDULING_KEYS, ...Object.keys(b.settingsSchema)].join(', ');
      expect(error(`[runtimes.${b.name}]\nbogus = 1`)).toBe(`runtimes.${b.name}: unknown key "bogus" (allowed: ${allowed})`);
    }
    expect(error('[runtimes.jvm]\nqueue = 1')).toBe(`runtimes: unknown key "jvm" (allowed: ${names.join(', ')})`);
  });

  it('config accepts an agent runtime exactly when it is registered, with the common keys plus that backend\'s own', () => {
    expect(error('[[agents]]\nid = "a"\nruntime = "jvm"')).toBe(`agents[0] (a).runtime: unknown runtime "jvm" (known: ${names.join(', ')})`);
    for (const b of BACKENDS) {
      const allowed = [...COMMON_AGENT_KEYS, ...Object.keys(b.agentSchema)].join(', ');
      expect(error(`[[agents]]\nid = "a"\nruntime = "${b.name}"\nmanifest = "m.json"\nbogus = 1`)).toBe(`agents[0] (a): unknown key "bogus" (allowed: ${allowed})`);
    }
  });

  it('the config JSON Schema has one [runtimes.<name>] and one [[agents]] shape per backend, from its fragments', () => {
    const s = configSchema() as { properties: Record<string, { properties?: Record<string, { properties: object }>; items?: { oneOf: { properties: Record<string, unknown> }[] } }> };
    const runtimes = s.properties.runtimes!.properties!;
    expect(Object.keys(runtimes)).toEqual(names);
    const agents = s.properties.agents!.items!.oneOf;
    expect(agents.map((a) => (a.properties.runtime as { const: string }).const)).toEqual(names);
    for (const [i, b] of BACKENDS.entries()) {
      expect(Object.keys(runtimes[b.name]!.properties)).toEqual([...SCHEDULING_KEYS, ...Object.keys(b.settingsSchema)]);
      expect(Object.keys(agents[i]!.properties).sort()).toEqual([...COMMON_AGENT_KEYS, ...Object.keys(b.agentSchema)].sort());
      // An agent's limits table offers only what its backend can enforce (config refuses the rest).
      const limitKeys = Object.keys((agents[i]!.properties.limits as { properties: object }).properties);
      expect(limitKeys.length).toBe(LIMIT_KEYS.filter((k) => b.enforces[k] !== null).length);
    }
  });

  it('the generated schema accepts the shipped configs and refuses another backend\'s key or an unenforceable limit', () => {
    const validate = new Ajv2020({ strict: true }).compile(configSchema());
    for (const f of ['config/default.toml', 'fixtures/conformance/ari.toml']) {
      expect(validate(parseToml(readFileSync(join(SRC, '..', f), 'utf8'))), `${f}: ${JSON.stringify(validate.errors?.slice(0, 2))}`).toBe(true);
    }
    const one = (extra: string) => validate(parseToml(`[[agents]]\nid = "a"\nruntime = "wasm"\nmanifest = "m.json"\nmodule = "a.wasm"\n${extra}`));
    expect(one('')).toBe(true);
    expect(one('image = "x"')).toBe(false);
    expect(one('[agents.limits]\npids = 4')).toBe(false);
  });

  it('backendNamed finds each registered descriptor and names the registry for anything else', () => {
    for (const b of BACKENDS) expect(backendNamed(b.name)).toBe(b);
    expect(() => backendNamed('jvm')).toThrow(`no backend named "jvm" (registered: ${names.join(', ')})`);
  });
});

/** Relative static imports and package imports of one file (dynamic import()s are the lazy edges, left out). */
function staticImports(file: string): { files: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const specs = [...text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => (m[1] ?? m[2])!);
  return {
    files: specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts')),
    packages: specs.filter((s) => !s.startsWith('.')),
  };
}

describe('parsing config loads no runtime', () => {
  it('the static import closure of load-config.ts holds no dockerode, execa, worker threads or runtime class', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      const { files, packages: p } = staticImports(f);
      for (const x of p) packages.add(x);
      files.forEach(walk);
    };
    walk(join(SRC, 'config', 'load-config.ts'));
    expect([...seen].some((f) => f.endsWith('runtimes/backends.ts')), 'config reads the registry').toBe(true);
    for (const p of ['dockerode', 'execa', 'node:worker_threads', '@bytecodealliance/jco-transpile']) expect([...packages]).not.toContain(p);
    expect([...seen].filter((f) => /runtimes\/.*-runtime\.ts$/.test(f)).map((f) => f.slice(SRC.length))).toEqual([]);
  });
});
