// Worker thread entry: caches compiled modules by key and runs one task at a time in a fresh instance.
import { parentPort, workerData } from 'node:worker_threads';
import { runComponentTask } from './component-runner.js';
import { runTask } from './task-runner.js';
import { isComponentAbi, type RunRequest, type WasmArtifact, type WorkerInit, type WorkerReply } from './worker-protocol.js';

/** Modules kept per worker; an evicted one is simply asked for again. */
const MAX_CACHED_MODULES = 64;

const port = parentPort;
if (!port) throw new Error('worker-main must run in a worker thread');
const cancel = new Int32Array((workerData as WorkerInit).cancel);
const modules = new Map<string, WasmArtifact>();

function post(reply: WorkerReply): void {
  port!.postMessage(reply);
}

function moduleFor(req: RunRequest): WasmArtifact | undefined {
  const mod = req.module ?? modules.get(req.moduleKey);
  if (!mod) return undefined;
  modules.delete(req.moduleKey);
  modules.set(req.moduleKey, mod);
  if (modules.size > MAX_CACHED_MODULES) modules.delete(modules.keys().next().value as string);
  return mod;
}

port.on('message', (req: RunRequest) => {
  const mod = moduleFor(req);
  if (!mod) {
    post({ type: 'need-module', jobId: req.jobId });
    return;
  }
  const onLog = (line: string) => post({ type: 'log', jobId: req.jobId, line });
  // Components (issue 5): the glue is loaded asynchronously once per worker; the pool sends one task at a time.
  if (isComponentAbi(req.abi) && !(mod instanceof WebAssembly.Module)) {
    void runComponentTask(mod, req, cancel, onLog).then((result) => post({ type: 'result', jobId: req.jobId, result }));
    return;
  }
  const result = runTask(mod as WebAssembly.Module, req, cancel, onLog);
  post({ type: 'result', jobId: req.jobId, result });
});

post({ type: 'ready' });
