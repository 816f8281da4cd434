// The committed MathAgent fixtures (seed ABI and WASI builds) through WasmRuntime, when they are present.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WasmRuntime } from '../../src/runtimes/wasm/host/wasm-runtime.js';
import { agentFor, taskFor } from './wat.js';

const dir = fileURLToPath(new URL('../../fixtures/agents/math/', import.meta.url));
const builds = ['math.wasm', 'math-wasi.wasm'].filter((f) => existsSync(dir + f));
const runtime = new WasmRuntime({ workers: 1, maxMemoryBytes: 64 * 1024 * 1024 });
afterAll(() => runtime.close());

describe.skipIf(builds.length === 0)('MathAgent fixtures', () => {
  it.each(builds)('%s multiplies, computes statistics and reports division by zero', async (file) => {
    const agent = agentFor(file.replace('.wasm', ''), dir + file);
    await runtime.prepare(agent);
    const exec = (capability: string, input: unknown) =>
      runtime.execute(agent, { ...taskFor(agent, input), capability }, new AbortController().signal);
    const mul = await exec('arithmetic', { operation: 'multiply', operands: [7, 6] });
    expect(mul.status).toBe('COMPLETED');
    expect(mul.output).toEqual({ result: 42 });
    const mean = await exec('statistics', { operation: 'mean', values: [1, 2, 3, 4] });
    expect(mean.output).toEqual({ result: 2.5 });
    const div = await exec('arithmetic', { operation: 'divide', operands: [1, 0] });
    expect(div.status).toBe('FAILED');
    expect(div.error?.code).toBe('AGENT_ERROR');
  });
});
