// The component fixtures: headers, WIT shapes, and behaviour under a sandboxed jco + preview2-shim host.
import { readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './core-hosts.js';
import { runCommand, transpileComponent } from './component-host.js';

const COMP = join(FIXTURES, 'components');
const TASK = JSON.stringify({ task_id: 'c', capability: 'arithmetic', input: { operation: 'multiply', operands: [7, 6] } });
const WASI_COMMAND_IMPORTS = /^wasi:(cli|io|filesystem|clocks|random|sockets|http)\//;

/**
 * Runs a component's entry point in a worker (transpiled here, imported there as plain JS, with a
 * sandboxed WASIShim for commands); 'running' if it has not ended after `ms`.
 */
async function stillRunningAfter(file: string, ms: number): Promise<string> {
  const t = await transpileComponent(join(COMP, file), true);
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { instantiate } = await import(workerData.js);
      const { WASIShim } = await import('@bytecodealliance/preview2-shim/instantiation');
      const imports = new WASIShim({ sandbox: { preopens: {}, env: {}, enableNetwork: false } }).getImportObject();
      const i = await instantiate(async (n) => WebAssembly.compile(workerData.core[n]), imports);
      parentPort.postMessage('started');
      if (i.executeTask) i.executeTask('{}'); else i.run.run();
      parentPort.postMessage('returned');
    })();`;
  const js = pathToFileURL(join(t.dir!, 'agent.js')).href;
  const worker = new Worker(code, { eval: true, workerData: { js, core: t.coreModules } });
  return new Promise<string>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    worker.on('message', (m) => {
      if (m === 'started') timer = setTimeout(() => resolve('running'), ms);
      else { clearTimeout(timer); resolve(String(m)); }
    });
    worker.on('error', reject);
  }).finally(async () => {
    await worker.terminate();
    await rm(t.dir!, { recursive: true, force: true });
  });
}

describe('component fixtures', () => {
  const files = readdirSync(COMP).filter((f) => f.endsWith('.wasm')).sort();

  it('are all components (layer 1 header), none a core module', () => {
    expect(files).toEqual(['file-open-command.wasm', 'http-probe-command.wasm', 'loop-command.wasm', 'loop-task.wasm', 'math-command.wasm', 'math-task.wasm',
      'memory-bomb-command.wasm', 'socket-probe-command.wasm', 'stdout-flood-command.wasm']);
    for (const f of files) expect([...readFileSync(join(COMP, f)).subarray(0, 8)]).toEqual([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]);
  });

  it('commands export wasi:cli/run and import only WASI; task components import nothing', async () => {
    for (const f of files) {
      const t = await transpileComponent(join(COMP, f));
      if (f.endsWith('-task.wasm')) {
        expect(t.imports).toEqual([]);
        expect(t.exports).toEqual(['executeTask']);
      } else {
        expect(t.exports).toContain('wasi:cli/run@0.2.12');
        for (const i of t.imports) expect(i).toMatch(WASI_COMMAND_IMPORTS);
      }
    }
  });

  it('math-command answers over stdin/stdout; math-task through execute-task', async () => {
    const r = await runCommand(await transpileComponent(join(COMP, 'math-command.wasm')), TASK);
    expect(r.exitOk).toBe(true);
    expect(r.stdout).toBe('{"output":{"result":42},"metrics":{"operand_count":2}}\n');
    const t = await transpileComponent(join(COMP, 'math-task.wasm'));
    const i = await t.instantiate(async (n) => WebAssembly.compile(t.coreModules[n]), {});
    expect(JSON.parse(i.executeTask(TASK))).toEqual({ output: { result: 42 }, metrics: { operand_count: 2 } });
    expect(JSON.parse(i.executeTask('{"capability":"statistics","input":{"operation":"stddev","values":[2,4,4,4,5,5,7,9]}}')).output.result).toBe(2);
  });

  it('file-open-command and socket-probe-command are denied by a sandboxed shim', async () => {
    const file = await runCommand(await transpileComponent(join(COMP, 'file-open-command.wasm')), '{}');
    expect(JSON.parse(file.stdout)).toEqual({ output: { prestat_errno: 8, open_errno: 8 } });
    const sock = await runCommand(await transpileComponent(join(COMP, 'socket-probe-command.wasm')), '{}');
    expect(JSON.parse(sock.stdout)).toEqual({ output: { create_error: null, connect_error: 1 } }); // 1 = access-denied
  });

  it('stdout-flood-command writes 64 MiB of valid JSON, and traps when the capped stream refuses a write', async () => {
    const t = await transpileComponent(join(COMP, 'stdout-flood-command.wasm'));
    const capped = await runCommand(t, '{}', 1 << 20);
    expect(capped.exitOk).toBe(false);
    expect(capped.stdoutBytes).toBeGreaterThan(1 << 20);
    const full = await runCommand(t, '{}', 128 << 20);
    expect(full.exitOk).toBe(true);
    expect(full.stdoutBytes).toBe(64 * 1024 * 1024 + 13);
  });

  it('memory-bomb-command grows until memory.grow fails, then traps', async () => {
    const r = await runCommand(await transpileComponent(join(COMP, 'memory-bomb-command.wasm')), '{}');
    expect(r.exitOk).toBe(false);
    expect(String(r.error)).toMatch(/unreachable/);
  });

  it.each(['loop-command.wasm', 'loop-task.wasm'])('%s never returns (still running after 500 ms)', async (f) => {
    expect(await stillRunningAfter(f, 500)).toBe('running');
  });
});
