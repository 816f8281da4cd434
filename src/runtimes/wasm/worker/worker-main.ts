// Worker thread entry: caches compiled modules by key and runs one task at a time in a fresh instance.
// While idle it sleeps on the shared channel (channel-worker.ts); the port carries modules, big requests and logs.
import { readlinkSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { emptyUsage, type ExecutionResult } from '../../../contract/outcome.js';
import {
  isComponentAbi, type ComponentArtifact, type RunRequest, type WarmUpRequest, type WasmArtifact, type WorkerInit, type WorkerReply,
  type WorkerRequest,
} from '../shared/worker-protocol.js';
import { controlViews } from '../shared/control-block.js';
import { ChannelWorker } from './channel-worker.js';
import { runComponentTask, warmUpComponent } from './component-runner.js';
import { prepareCoreSpare } from './core-spare.js';
import { COLLECT_AFTER_BYTES, collectGarbage } from './heap-collect.js';
import { runTask } from './task-runner.js';

/** Modules kept per worker; an evicted one is simply asked for again. */
const MAX_CACHED_MODULES = 64;
/** How long a task's log lines may wait to travel with its result before they are streamed. */
const LOG_BATCH_MS = 20;

const port = parentPort;
if (!port) throw new Error('worker-main must run in a worker thread');
const init = workerData as WorkerInit;
const { cancel, fuel } = controlViews(init.control);
const channel = new ChannelWorker(init.channel);
const modules = new Map<string, WasmArtifact>();
/** The core module of the previous task (spares are kept for modules that repeat). */
let lastModule: WasmArtifact | undefined;

function post(reply: WorkerReply): void {
  port!.postMessage(reply);
}

function moduleFor(req: WorkerRequest): WasmArtifact | undefined {
  const mod = req.module ?? modules.get(req.moduleKey);
  if (!mod) return undefined;
  modules.delete(req.moduleKey);
  modules.set(req.moduleKey, mod);
  if (modules.size > MAX_CACHED_MODULES) modules.delete(modules.keys().next().value as string);
  return mod;
}

/** This thread's Linux tid, so the pool can read its CPU clock from outside (/proc/self/task/<tid>/schedstat). */
function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) ? tid : undefined;
  } catch {
    return undefined;
  }
}

function warmUp(mod: WasmArtifact, req: WarmUpRequest): Promise<void> | undefined {
  const done = () => post({ type: 'result', jobId: req.jobId, result: { status: 'COMPLETED', output: null, usage: emptyUsage(), metrics: {} } });
  if (!isComponentAbi(req.abi)) {
    prepareCoreSpare(mod as WebAssembly.Module, req.footprintBytes, req.memory);
    done();
    return undefined;
  }
  return warmUpComponent(mod as ComponentArtifact, req).catch(() => undefined).then(done);
}

/** Runs one task; a promise when it must go back to the event loop (components load and run asynchronously). */
function run(mod: WasmArtifact, req: RunRequest): Promise<void> | undefined {
  // A task's first log lines ride with its result (one hand-off instead of several); a task still running after
  // LOG_BATCH_MS streams them on the port, and its result then follows them there, in order.
  const started = performance.now();
  const held: string[] = [];
  let streaming = false;
  const stream = () => {
    streaming = true;
    for (const l of held.splice(0)) post({ type: 'log', jobId: req.jobId, line: l });
  };
  const onLog = (line: string) => {
    if (!streaming && performance.now() - started < LOG_BATCH_MS) held.push(line);
    else {
      stream();
      post({ type: 'log', jobId: req.jobId, line });
    }
  };
  // A task that logged and then computes silently still shows its lines within about LOG_BATCH_MS.
  const onSlice = () => { if (!streaming && held.length && performance.now() - started >= LOG_BATCH_MS) stream(); };
  const reply = (result: ExecutionResult) => {
    if (streaming || !channel.sendResult(req.jobId, result, held)) {
      stream();
      post({ type: 'result', jobId: req.jobId, result });
    }
    if (result.usage.peakMemoryBytes >= COLLECT_AFTER_BYTES) collectGarbage();
  };
  const control = { cancel, published: fuel };
  if (isComponentAbi(req.abi)) return runComponentTask(mod as ComponentArtifact, req, control, onLog).then(reply);
  reply(runTask(mod as WebAssembly.Module, req, control, onLog, onSlice));
  // Off the task's clock: the result is already on its way. Only for a module run twice in a row (a spare for
  // agents that alternate would be wasted), and only when no next task is already waiting for this worker.
  const repeat = mod === lastModule;
  lastModule = mod;
  if (repeat && !channel.requestWaiting()) prepareCoreSpare(mod as WebAssembly.Module, req.footprintBytes, req.memory);
  return undefined;
}

function handle(req: WorkerRequest): Promise<void> | undefined {
  const mod = moduleFor(req);
  if (!mod) {
    post({ type: 'need-module', jobId: req.jobId });
    return undefined;
  }
  return req.type === 'warm-up' ? warmUp(mod, req) : run(mod, req);
}

/** Takes requests until one needs the event loop; resumes once it is done. */
function serve(): void {
  for (;;) {
    const next = channel.nextRequest();
    const req = next === 'port' ? (receiveMessageOnPort(port!)?.message as WorkerRequest | undefined) : next;
    if (!req) continue;
    const pending = handle(req);
    if (pending) {
      void pending.then(() => setImmediate(serve));
      return;
    }
  }
}

post({ type: 'ready', tid: threadId() });
setImmediate(serve);
