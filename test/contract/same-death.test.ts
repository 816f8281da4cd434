// The same hostile behaviour on wasm, native and Docker, through one real daemon: the same status on every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireTaskResponse } from '../../src/server/wire-types.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const wasm = (id: string, module: string) =>
  `[[agents]]\nid = "${id}"\nruntime = "wasm"\nmodule = "{{FIXTURES}}/wasm-hostile/${module}.wasm"\nmanifest = "{{FIXTURES}}/wasm-hostile/manifest.json"\n`;
const native = `[[agents]]\nid = "n-hostile"\nruntime = "native"\ncommand = ["{{FIXTURES}}/native-hostile/hostile"]\nmanifest = "{{FIXTURES}}/native-hostile/manifest.json"\n`;
// The conformance image: built from fixtures/conformance/docker by the daemon when the engine does not have it.
const docker = `[[agents]]\nid = "d-hostile"\nruntime = "docker"\nimage = "ari-conformance/agents:1"\nbuild = "{{FIXTURES}}/../conformance/docker"\ncommand = ["/hostile"]\nmanifest = "{{FIXTURES}}/native-hostile/manifest.json"\n`;

const TOML = `
[limits.default]
timeout_ms = "10s"
cpu_millis = "10s"
memory_bytes = "64MiB"
output_bytes = "1MiB"
[runtimes.native]
concurrency = 4
uid_start = 2700000
uid_count = 8
${wasm('w-loop', 'loop')}${wasm('w-grow', 'grow-bomb')}${wasm('w-flood', 'flood')}[agents.limits]
memory_bytes = "96MiB" # flood.wasm builds its 64 MiB answer in guest memory
${wasm('w-trap', 'trap')}${native}${docker}`;

type Backend = 'wasm' | 'native' | 'docker';
interface Behaviour { agent: string; input?: unknown; limits?: Record<string, number>; cancelAfterMs?: number }
interface Death { death: string; status: string; code?: string; on: Record<Backend, Behaviour> }

const linux = (input: unknown, rest: Omit<Behaviour, 'agent' | 'input'> = {}) => ({
  native: { agent: 'n-hostile', input, ...rest }, docker: { agent: 'd-hostile', input, ...rest },
});

const DEATHS: Death[] = [
  { death: 'timeout', status: 'TIMEOUT', on: { wasm: { agent: 'w-loop', limits: { timeout_ms: 500 } }, ...linux({ mode: 'sleep', seconds: 60 }, { limits: { timeout_ms: 500 } }) } },
  { death: 'memory', status: 'OUT_OF_MEMORY', on: { wasm: { agent: 'w-grow' }, ...linux({ mode: 'memory', mb: 4096 }) } },
  { death: 'CPU', status: 'CPU_LIMIT', on: { wasm: { agent: 'w-loop', limits: { cpu_millis: 300 } }, ...linux({ mode: 'spin' }, { limits: { cpu_millis: 300 } }) } },
  { death: 'output', status: 'OUTPUT_LIMIT', on: { wasm: { agent: 'w-flood' }, ...linux({ mode: 'flood' }) } },
  { death: 'crash', status: 'FAILED', code: 'CRASHED', on: { wasm: { agent: 'w-trap' }, ...linux({ mode: 'segv' }) } },
  { death: 'cancel', status: 'CANCELLED', on: { wasm: { agent: 'w-loop', cancelAfterMs: 300 }, ...linux({ mode: 'sleep', seconds: 60 }, { cancelAfterMs: 300 }) } },
];

let d: TestDaemon;
beforeAll(async () => {
  d = await startTestDaemon(TOML);
  const h = await d.client.getHealth();
  for (const b of h.backends) expect(b.available, `backend ${b.runtime} is unavailable: ${b.reason} (run scripts/setup-host.sh)`).toBe(true);
}, 300_000);
afterAll(async () => { await d?.stop(); });

let seq = 0;
async function run(b: Behaviour): Promise<WireTaskResponse> {
  const taskId = `same-death-${process.pid}-${++seq}`;
  const cancel = b.cancelAfterMs === undefined ? undefined : setTimeout(() => { void d.client.cancelTask(taskId).catch(() => undefined); }, b.cancelAfterMs);
  try {
    return await d.client.executeTask({ task_id: taskId, agent_id: b.agent, capability: 'run', input: JSON.stringify(b.input ?? {}), limits: b.limits }, { deadlineMs: 60_000 });
  } finally {
    clearTimeout(cancel);
  }
}

describe('the same death on wasm, native and Docker', () => {
  for (const death of DEATHS) {
    it(`${death.death} → ${death.status}${death.code ? `/${death.code}` : ''} on every backend`, async () => {
      const backends = Object.keys(death.on) as Backend[];
      const got = await Promise.all(backends.map(async (b) => {
        const r = await run(death.on[b]);
        return { backend: b, status: r.status, code: r.error?.code ?? '', message: r.error?.message ?? '' };
      }));
      const want = got.map((g) => ({ backend: g.backend, status: death.status, code: death.code ?? death.status, message: g.message }));
      expect(got).toEqual(want);
    }, 120_000);
  }
});
