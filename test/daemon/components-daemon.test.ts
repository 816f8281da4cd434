// Issue 5 end to end: WebAssembly components through a real daemon over real gRPC — the MathAgent in both shapes,
// hostile components ending in the right status, no file or socket access, stable fuel, transpiled once.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../src/config/load-config.js';
import type { WasmAgentSpec } from '../../src/runtimes/wasm/agent-spec.js';
import { transpileCount } from '../../src/runtimes/wasm/host/component-transpile.js';
import { json, startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';

const component = (id: string, file: string, manifest: string, limits = '') =>
  `[[agents]]\nid = "${id}"\nruntime = "wasm"\nmodule = "{{FIXTURES}}/components/${file}.wasm"\nmanifest = "{{FIXTURES}}/${manifest}/manifest.json"\n[agents.limits]\ntimeout_ms = "1s"\n${limits}\n`;
const hostile = (name: string, limits = '') => component(name, name, 'wasm-hostile', limits);

const TOML = `
[runtimes.wasm]
workers = 2
concurrency = 2
queue = 16
${component('math-component', 'math-command', 'math')}
${component('math-task', 'math-task', 'math')}
${['loop-command', 'loop-task', 'memory-bomb-command', 'file-open-command', 'socket-probe-command'].map((n) => hostile(n)).join('')}
${hostile('stdout-flood-command', 'output_bytes = "64KiB"')}
${component('loop-fuel', 'loop-command', 'wasm-hostile', 'fuel = 2000000')}
`;

let d: TestDaemon;
beforeAll(async () => { d = await startTestDaemon(TOML); }, 60_000);
afterAll(async () => { await d?.stop(); });

const math = (agent: string, input: unknown, extra: Record<string, unknown> = {}) =>
  d.client.executeTask({ agent_id: agent, capability: 'arithmetic', input: JSON.stringify(input), ...extra });
const run = (agent: string, limits?: Record<string, number>) =>
  d.client.executeTask({ agent_id: agent, capability: 'run', input: '{}', limits });

describe('component MathAgent through the daemon', () => {
  it('answers correctly as a wasi:cli/run command and as an execute-task component', async () => {
    for (const agent of ['math-component', 'math-task']) {
      const r = await math(agent, { operation: 'multiply', operands: [7, 6] });
      expect(r.status, `${agent}: ${r.error?.message}`).toBe('COMPLETED');
      expect(json(r.output)).toEqual({ result: 42 });
      expect(r.metrics).toEqual({ operand_count: 2 });
      expect(r.usage!.fuel_consumed).toBeGreaterThan(0);
      const s = await d.client.executeTask({ agent_id: agent, capability: 'statistics', input: '{"operation":"median","values":[3,1,2]}' });
      expect(json(s.output)).toEqual({ result: 2 });
      const z = await math(agent, { operation: 'divide', operands: [1, 0] });
      expect(z.status).toBe('FAILED');
      expect(z.error?.code).toBe('AGENT_ERROR');
    }
  });

  it('reports identical fuel_consumed across runs and never transpiles again after prepare', async () => {
    const before = transpileCount();
    for (const agent of ['math-component', 'math-task']) {
      const fuel = new Set<string>();
      // Task ids of one length: the id is part of the task document the agent parses.
      for (let i = 0; i < 5; i++) fuel.add(String((await math(agent, { operation: 'add', operands: [1, 2, 3] }, { task_id: `fuel-${agent}-${i}` })).usage!.fuel_consumed));
      expect([...fuel]).toHaveLength(1);
    }
    expect(transpileCount()).toBe(before);
  });

  it('is hosted by the embedded default config as math-component', () => {
    const found = loadConfig(DEFAULT_CONFIG_PATH).agents.find((a) => a.id === 'math-component');
    if (found?.runtime !== 'wasm') throw new Error(`math-component is not a wasm agent: ${JSON.stringify(found)}`);
    const agent = found as WasmAgentSpec;
    expect(agent.module).toMatch(/components\/math-command\.wasm$/);
    expect(existsSync(agent.module)).toBe(true);
  });
});

describe('hostile components through the daemon', () => {
  it('TIMEOUT for call-free loops in a command and in execute-task, met by the fuel slices (no worker abandoned)', async () => {
    const replaced = async () => (await d.client.getHealth()).backends.find((b) => b.runtime === 'wasm')!.features.replaced_workers;
    const before = await replaced();
    for (const agent of ['loop-command', 'loop-task']) {
      const t0 = Date.now();
      const r = await run(agent, { timeout_ms: 300 });
      expect(r.status).toBe('TIMEOUT');
      expect(r.error).toMatchObject({ code: 'TIMEOUT', message: 'timed out after 300 ms' });
      expect(Date.now() - t0).toBeLessThan(3000);
    }
    expect(await replaced()).toBe(before);
  });

  it('OUT_OF_FUEL with fuel_consumed = the budget, from agent limits and from a tighter request', async () => {
    const r = await run('loop-fuel');
    expect(r.status).toBe('OUT_OF_FUEL');
    expect(Number(r.usage!.fuel_consumed)).toBe(2_000_000);
    const tighter = await run('loop-fuel', { fuel: 5000 });
    expect(tighter.status).toBe('OUT_OF_FUEL');
    expect(Number(tighter.usage!.fuel_consumed)).toBe(5000);
  });

  it('OUT_OF_MEMORY for a memory bomb, within the limit', async () => {
    const r = await run('memory-bomb-command', { memory_bytes: 32 * 1024 * 1024 });
    expect(r.status).toBe('OUT_OF_MEMORY');
    expect(Number(r.usage!.peak_memory_bytes)).toBeLessThanOrEqual(32 * 1024 * 1024);
  });

  it('OUTPUT_LIMIT for a 64 MiB stdout flood, stopped at the cap', async () => {
    const r = await run('stdout-flood-command');
    expect(r.status).toBe('OUTPUT_LIMIT');
    expect(Number(r.usage!.output_bytes)).toBeGreaterThan(64 * 1024);
    expect(Number(r.usage!.output_bytes)).toBeLessThan(2 * 64 * 1024);
  });

  it('denies file access: no directory is preopened, so open fails with EBADF', async () => {
    const r = await run('file-open-command');
    expect(r.status).toBe('COMPLETED');
    expect(json(r.output)).toEqual({ prestat_errno: 8, open_errno: 8 });
  });

  it('denies network access: creating a socket answers access-denied', async () => {
    const r = await run('socket-probe-command');
    expect(r.status).toBe('COMPLETED');
    expect(json(r.output)).toEqual({ create_error: 1, connect_error: 'not attempted' });
  });

  it('still serves the MathAgent after every hostile run', async () => {
    const r = await math('math-component', { operation: 'subtract', operands: [10, 4] });
    expect(json(r.output)).toEqual({ result: 6 });
  });
});
