// The soak's task mix: correct MathAgent work and hostile agents on every backend, each with what counts as right.
import type { WireTaskResponse } from '../src/server/wire-types.js';
import { mathTask, sameNumber } from '../test/reliability/math-workload.js';

export type Backend = 'wasm' | 'native' | 'docker';

export interface SoakKind {
  name: string;
  backend: Backend;
  hostile: boolean;
  agent: string;
  capability: string;
  /** Relative frequency in the mix. */
  weight: number;
  input(n: number): unknown;
  limits?: Record<string, number>;
  /** Why the outcome is wrong, or null when it is right. */
  check(r: WireTaskResponse, n: number): string | null;
}

const status = (...allowed: string[]) => (r: WireTaskResponse) =>
  allowed.includes(r.status) ? null : `status ${r.status} ${r.error?.code ?? ''} ${r.error?.message?.slice(0, 120) ?? ''}, expected ${allowed.join(' or ')}`;

const output = (r: WireTaskResponse): Record<string, unknown> | undefined => {
  try {
    return r.output.length ? JSON.parse(r.output.toString()) as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
};

/** COMPLETED and the hostile agent reports it was denied. */
const denied = (r: WireTaskResponse) => status('COMPLETED')(r) ?? (output(r)?.denied === true ? null : `not denied: ${r.output.toString().slice(0, 120)}`);

function math(backend: Backend, agent: string, weight: number): SoakKind {
  return {
    name: `math/${backend}`, backend, hostile: false, agent, capability: '', weight,
    input: (n) => mathTask(n).input,
    check: (r, n) => {
      const bad = status('COMPLETED')(r);
      if (bad) return bad;
      const got = output(r)?.result;
      return sameNumber(got, mathTask(n).expected) ? null : `result ${JSON.stringify(got)}, expected ${mathTask(n).expected}`;
    },
  };
}

const wasmHostile = (name: string, weight: number, limits: Record<string, number>, ...ok: string[]): SoakKind => ({
  name: `${name}${limits.fuel ? '-fuel' : ''}/wasm`, backend: 'wasm', hostile: true, agent: `wasm-${name}`, capability: 'run', weight, input: () => ({}), limits, check: status(...ok),
});
const nativeHostile = (mode: string, extra: Record<string, unknown>, weight: number, limits: Record<string, number>, check: SoakKind['check']): SoakKind => ({
  name: `${mode}/native`, backend: 'native', hostile: true, agent: 'hostile-native', capability: 'run', weight, input: () => ({ mode, ...extra }), limits, check,
});
const dockerHostile = (mode: string, extra: Record<string, unknown>, weight: number, limits: Record<string, number>, check: SoakKind['check']): SoakKind => ({
  name: `${mode}/docker`, backend: 'docker', hostile: true, agent: 'hostile-docker', capability: 'run', weight, input: () => ({ mode, ...extra }), limits, check,
});

export const SOAK_UID_START = 2_300_000;
export const WASM_HOSTILE_MODULES = ['loop', 'recursion', 'grow-bomb', 'flood', 'trap', 'bad-result', 'bad-length'];
const MiB = 1024 * 1024;

export const KINDS: SoakKind[] = [
  math('wasm', 'math', 30),
  math('native', 'math-native', 18),
  math('docker', 'math-docker', 8),
  wasmHostile('loop', 2, { timeout_ms: 300 }, 'TIMEOUT'),
  wasmHostile('loop', 2, { fuel: 1_000_000 }, 'OUT_OF_FUEL'),
  wasmHostile('recursion', 2, {}, 'FAILED'),
  wasmHostile('grow-bomb', 2, { memory_bytes: 8 * MiB }, 'OUT_OF_MEMORY'),
  wasmHostile('flood', 2, { output_bytes: 4096 }, 'OUTPUT_LIMIT'),
  wasmHostile('trap', 2, {}, 'FAILED'),
  wasmHostile('bad-result', 1, {}, 'FAILED'),
  wasmHostile('bad-length', 1, {}, 'FAILED'),
  nativeHostile('sleep', { seconds: 60 }, 2, { timeout_ms: 300 }, status('TIMEOUT')),
  nativeHostile('memory', { mb: 512 }, 2, { memory_bytes: 64 * MiB }, status('OUT_OF_MEMORY')),
  nativeHostile('spin', {}, 2, { cpu_millis: 200, timeout_ms: 10_000 }, status('CPU_LIMIT')),
  nativeHostile('flood', {}, 2, { output_bytes: 32 * 1024 }, status('OUTPUT_LIMIT')),
  nativeHostile('forkbomb', {}, 1, { pids: 16, timeout_ms: 2000 }, status('COMPLETED', 'FAILED', 'TIMEOUT', 'CPU_LIMIT', 'OUT_OF_MEMORY')),
  nativeHostile('detach', {}, 1, { timeout_ms: 2000 }, status('COMPLETED', 'FAILED', 'TIMEOUT')),
  nativeHostile('segv', {}, 1, {}, status('FAILED')),
  dockerHostile('sleep', { seconds: 60 }, 1, { timeout_ms: 500 }, status('TIMEOUT')),
  dockerHostile('forkbomb', {}, 1, { pids: 16, timeout_ms: 5000 }, denied),
  dockerHostile('network', {}, 1, {}, denied),
  dockerHostile('mount', {}, 1, {}, denied),
  dockerHostile('flood', {}, 1, { output_bytes: 32 * 1024 }, status('OUTPUT_LIMIT')),
  dockerHostile('memory', { mb: 512 }, 1, { memory_bytes: 64 * MiB }, status('OUT_OF_MEMORY')),
];

/** Deterministic weighted pick for task n among the kinds whose backend is available. */
export function picker(kinds: SoakKind[]): (n: number) => SoakKind {
  const total = kinds.reduce((a, k) => a + k.weight, 0);
  return (n) => {
    let x = ((n * 2654435761) >>> 0) % total;
    for (const k of kinds) {
      if (x < k.weight) return k;
      x -= k.weight;
    }
    return kinds[0]!;
  };
}

export function capabilityOf(k: SoakKind, n: number): string {
  return k.capability || mathTask(n).capability;
}

/** The daemon config hosting every agent the mix uses (docker agents only when `docker`). */
export function soakToml(opts: { storage: string; docker: boolean }): string {
  const agent = (id: string, body: string) => `\n[[agents]]\nid = "${id}"\n${body}\n`;
  const wasm = WASM_HOSTILE_MODULES.map((m) => agent(`wasm-${m}`, `runtime = "wasm"\nmodule = "{{FIXTURES}}/wasm-hostile/${m}.wasm"\nmanifest = "{{FIXTURES}}/wasm-hostile/manifest.json"\n[agents.limits]\ntimeout_ms = "2s"`)).join('');
  return `
[server]
metrics = ""
shutdown_grace = "5s"
[storage]
path = "${opts.storage}"
[runtimes.wasm]
workers = 2
concurrency = 2
queue = 10000
[runtimes.native]
concurrency = 4
queue = 10000
# Its own uid range, so sandboxes of other ari processes on the host are not counted as this daemon's.
uid_start = ${SOAK_UID_START}
uid_count = 64
[runtimes.docker]
concurrency = 4
queue = 10000
${agent('math', 'runtime = "wasm"\nmodule = "{{FIXTURES}}/math/math.wasm"\nmanifest = "{{FIXTURES}}/math/manifest.json"')}
${agent('math-native', 'runtime = "native"\ncommand = ["{{FIXTURES}}/math/native/math"]\nmanifest = "{{FIXTURES}}/math/manifest.json"')}
${agent('hostile-native', 'runtime = "native"\ncommand = ["{{FIXTURES}}/native-hostile/hostile"]\nmanifest = "{{FIXTURES}}/native-hostile/manifest.json"')}
${wasm}
${opts.docker ? agent('math-docker', 'runtime = "docker"\nimage = "ari-fixtures/math:1"\npool = 2\nmanifest = "{{FIXTURES}}/math/manifest.json"') : ''}
${opts.docker ? agent('hostile-docker', 'runtime = "docker"\nimage = "ari-fixtures/hostile:3"\nmanifest = "{{FIXTURES}}/docker/hostile/manifest.json"') : ''}
`;
}
