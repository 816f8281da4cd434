// The wasm backend: modules compiled once per agent, each task in a fresh instance: a short core-module task inline on
// the main thread (inline-runner.ts), any other on a warm worker thread.
import type { Logger } from 'pino';
import type { ExecutionResult } from '../../../contract/outcome.js';
import { AgentLoadError, type BackendHealth, type ExecutionHooks, type Runtime } from '../../runtime.js';
import { taskDocument, type ExecutionTask } from '../../../contract/agent.js';
import type { WasmAgentSpec } from '../agent-spec.js';
import { loadModule, type LoadedModule } from './module-loader.js';
import { FUEL_SLICE } from '../shared/fuel-costs.js';
import { transpileCount } from './component-transpile.js';
import { STARVED_BOUND_MS, STUCK_BOUND_MS } from './stuck-watch.js';
import { INLINE_FUEL, InlineRunner } from './inline-runner.js';
import { InlineTurn } from './inline-turn.js';
import { WorkerPool } from './worker-pool.js';
import { openEgress, withKillReason } from './task-egress.js';
import { WASM_ENFORCES } from '../enforcement.js';

export interface WasmRuntimeOptions {
  /** Warm worker threads; tasks beyond this wait for a free worker. */
  workers: number;
  logger?: Logger;
  /** Operator ceiling: every module's memory maximum is clamped to it at load. */
  maxMemoryBytes: number;
  /** Instrumenting a module (validation + rewriting) taking longer than this refuses it at load. */
  maxPrepareMillis?: number;
  /** PEM roots trusted, besides the default ones, for components' https through the egress proxy. */
  egressCa?: readonly string[];
}

/** Default preparation bound: instrumentation is linear in module size (a 1.3 MB function takes well under 1 s). */
export const DEFAULT_PREPARE_MS = 10_000;

type Loaded = LoadedModule & { key: string };
type CoreModule = Loaded & { module: WebAssembly.Module };

/** A core module (not a component): the only kind that may run inline. A guard, not a copy per task. */
const isCore = (l: Loaded): l is CoreModule => l.module instanceof WebAssembly.Module;

export class WasmRuntime implements Runtime<WasmAgentSpec> {
  readonly name = 'wasm' as const;
  readonly enforces = WASM_ENFORCES;
  private readonly pool: WorkerPool;
  private readonly inline: InlineRunner;
  private readonly turn = new InlineTurn();
  private readonly agents = new Map<string, Loaded>();
  private generation = 0;

  constructor(private readonly options: WasmRuntimeOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error(`wasm workers must be a positive integer, got ${options.workers}`);
    this.pool = new WorkerPool(options.workers, options.logger);
    this.inline = new InlineRunner(options.logger);
  }

  async start(): Promise<void> {
    this.pool.start();
  }

  async prepare(agent: WasmAgentSpec): Promise<void> {
    const loaded = await loadModule(agent, { maxMemoryBytes: this.options.maxMemoryBytes, maxPrepareMillis: this.options.maxPrepareMillis ?? DEFAULT_PREPARE_MS });
    const key = `${agent.id}#${++this.generation}`;
    this.agents.set(agent.id, { ...loaded, key });
    const inline = loaded.module instanceof WebAssembly.Module && !loaded.notInline;
    this.options.logger?.info({ agent_id: agent.id, runtime: 'wasm', abi: loaded.abi, inline, ...(loaded.notInline ? { not_inline: loaded.notInline } : {}) }, 'wasm agent prepared');
    // Off any task's clock: every worker loads a component's glue and shim, and builds a spare instance.
    this.pool.warmUp({ moduleKey: key, module: loaded.module, abi: loaded.abi, footprintBytes: loaded.footprintBytes, memory: loaded.memory });
  }

  async execute(agent: WasmAgentSpec, task: ExecutionTask, signal: AbortSignal, hooks?: ExecutionHooks): Promise<ExecutionResult> {
    const loaded = this.agents.get(agent.id);
    if (!loaded) throw new AgentLoadError(agent.id, 'wasm agent was not prepared');
    if (isCore(loaded) && this.inline.eligible(loaded) && !signal.aborted) {
      const later = this.turn.slot();
      if (later) await later;
      // Cancelled while waiting for its turn: the worker path gives the outcome a cancel always gives.
      const inline = signal.aborted ? undefined : this.tryInline(agent, loaded, task, hooks);
      if (inline) return inline;
    }
    const egress = await openEgress(loaded.module, hooks, this.options.egressCa);
    const result = await this.pool.run({
      moduleKey: loaded.key, module: loaded.module, abi: loaded.abi, footprintBytes: loaded.footprintBytes, memory: loaded.memory, agentId: agent.id,
      env: agent.env, document: taskDocument(task), limits: task.limits, signal, onLog: hooks?.onLog, egress,
    });
    return withKillReason(result, signal, task.limits);
  }

  /** A short core-module task answered on this thread, or undefined (it then goes to a worker). */
  private tryInline(agent: WasmAgentSpec, m: CoreModule, task: ExecutionTask, hooks?: ExecutionHooks): ExecutionResult | undefined {
    return this.inline.run(m, {
      type: 'run', jobId: 0, moduleKey: m.key, abi: m.abi, footprintBytes: m.footprintBytes, memory: m.memory,
      agentId: agent.id, env: agent.env, document: taskDocument(task), limits: task.limits, deadline: Date.now() + task.limits.timeoutMs,
    }, hooks?.onLog);
  }

  /** Tasks answered on the main thread and tasks sent on to a worker after trying (see InlineRunner). */
  inlineStats(): ReturnType<InlineRunner['stats']> {
    return this.inline.stats();
  }

  async health(): Promise<BackendHealth> {
    return {
      runtime: 'wasm',
      available: !this.pool.bootError,
      reason: this.pool.bootError ? `wasm worker threads fail to start: ${this.pool.bootError}` : '',
      features: {
        workers: String(this.options.workers),
        live_workers: String(this.pool.workerCount()),
        replaced_workers: String(this.pool.replacedCount()),
        fuel: 'instrumented',
        fuel_slice: String(FUEL_SLICE),
        inline_fuel: String(INLINE_FUEL),
        inline_tasks: String(this.inline.stats().inline),
        inline_declined: String(this.inline.stats().declined),
        memory: 'clamped (linear memory + tables + globals + host buffers)',
        cpu: 'thread CPU clock at fuel slices',
        stuck_bound_ms: String(STUCK_BOUND_MS),
        starved_bound_ms: String(STARVED_BOUND_MS),
        abi: 'seed,wasi-preview1,component-run,component-task',
        components: 'jco',
        component_transpiles: String(transpileCount()),
      },
    };
  }

  /** Live worker threads (for leak checks). */
  /** Every agent's one-time parts are loaded on every worker (see WorkerPool.warmedUp). */
  warmedUp(): boolean {
    return this.pool.warmedUp();
  }

  workerCount(): number {
    return this.pool.workerCount();
  }

  /** Workers abandoned (stuck past a deadline, cancel or CPU budget) or replaced after dying (for tests and health). */
  replacedWorkers(): number {
    return this.pool.replacedCount();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
