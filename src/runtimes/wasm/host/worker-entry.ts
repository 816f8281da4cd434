// Starts one wasm worker thread, from compiled dist (.js) or from the TypeScript sources under vitest/tsx.
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from '../shared/worker-protocol.js';

/**
 * Compiled dist runs worker-main.js directly. Under vitest/tsx the sources are .ts, and Node 20 ignores
 * `--import tsx` in a worker's execArgv for the entry itself, so a tiny eval'd bootstrap registers tsx first.
 */
export function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('../worker/worker-main.js', import.meta.url), { workerData: init });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const entry = new URL('../worker/worker-main.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}
