// Runs a short core-module task on the daemon's main thread (no thread hop) when it ends within one small fuel
// slice; a task that needs more, or ends any other way than with its answer, is run again from scratch on a worker.
import type { Logger } from 'pino';
import type { ExecutionResult } from '../../../contract/outcome.js';
import type { RunRequest } from '../shared/worker-protocol.js';
import { prepareCoreSpare } from '../worker/core-spare.js';
import { runCore } from '../worker/task-runner.js';
import { taskOutcome, type RunEnding } from '../worker/task-outcome.js';

/** Fuel an inline run may use: ~0.1 ms of straight-line guest code, a tenth of a worker's 1 ms slice. */
export const INLINE_FUEL = 100_000;
/** Host work (log calls, WASI calls) inside an inline run stops it once the run is this old. */
export const INLINE_HOST_MS = 5;
/** Linear memory an inline run may add (1 MiB): a module growing more is run on a worker, not allocated for here. */
export const INLINE_GROW_PAGES = 16;
/**
 * Inline runs of one module that still took longer than this (fuel units far slower than the instrumenter prices
 * them), INLINE_SLOW_STRIKES times within INLINE_STRIKE_WINDOW of its runs, send it to workers from then on. One
 * pause that is not the module's doing (a major GC, the VM descheduled) must not demote it for the daemon's life;
 * a module that is slow on some inputs only still is, as its second slow run comes within the window.
 */
export const INLINE_SLOW_MS = 20;
export const INLINE_SLOW_STRIKES = 2;
export const INLINE_STRIKE_WINDOW = 1000;
/** Modules whose instance holds more than this outside linear memory are not instantiated on the main thread. */
export const INLINE_MAX_FOOTPRINT = 1024 * 1024;
/** ARI_WASM_INLINE=0 sends every task to a worker, for A/B runs; read once, not per task. */
const ENABLED = process.env.ARI_WASM_INLINE !== '0';

/** What the inline path needs to know about a loaded core module. */
export interface InlineModule {
  module: WebAssembly.Module;
  footprintBytes: number;
  memory?: { initial: number; maximum: number };
  /** Set when metering-check.ts did not prove the instrumented module asks for fuel on every loop and call. */
  notInline?: string;
}

/** Ran to its answer, with no stop, trap, refused allocation or over-budget charge: the same as on a worker. */
function stands(end: RunEnding): boolean {
  return end.run !== undefined && end.stop === undefined && end.thrown === undefined && !end.oomFlagged && !end.overBudget;
}

export class InlineRunner {
  /** Modules whose inline runs were slow anyway: workers only from then on. */
  private readonly slow = new WeakSet<WebAssembly.Module>();
  /** Per module with a recent slow run: slow runs, and runs since the first of them. */
  private readonly strikes = new WeakMap<WebAssembly.Module, { slow: number; runs: number }>();
  private readonly counts = { inline: 0, declined: 0 };
  /** Longest inline run so far (ms), answered or not: what the main thread was held for. */
  private longestMs = 0;

  constructor(private readonly logger?: Logger, private readonly slowMs = INLINE_SLOW_MS) {}

  eligible(m: InlineModule): boolean {
    return ENABLED && m.notInline === undefined && m.memory !== undefined && m.footprintBytes <= INLINE_MAX_FOOTPRINT && !this.slow.has(m.module);
  }

  /** The task's result, or undefined when it must run on a worker (nothing it did is kept: its logs are dropped). */
  run(m: InlineModule, req: RunRequest, onLog?: (line: string) => void): ExecutionResult | undefined {
    const lines: string[] = [];
    const started = performance.now();
    const control = { cancel: new Int32Array(1), inline: { fuel: INLINE_FUEL, untilMs: started + INLINE_HOST_MS, growPages: INLINE_GROW_PAGES } };
    const { end, usage } = runCore(m.module, req, control, (l) => lines.push(l));
    const tookMs = performance.now() - started;
    this.longestMs = Math.max(this.longestMs, tookMs);
    this.count(m.module, req.agentId, tookMs);
    if (!stands(end)) {
      this.counts.declined++;
      return undefined;
    }
    this.counts.inline++;
    for (const l of lines) onLog?.(l);
    // Off the answer's path: the next task of this module takes an instance built while the daemon is idle. Not an
    // immediate: the answer is written two and three loop turns from here (the outcome's durable write, then http2's
    // data and trailers), and an immediate queued now runs before them (strace: +230 µs from request to answer at
    // 1 in flight). A 1 ms timer fires after they are out.
    setTimeout(() => prepareCoreSpare(m.module, m.footprintBytes, m.memory), 1);
    return taskOutcome(end, usage, req.limits);
  }

  private count(module: WebAssembly.Module, agentId: string, tookMs: number): void {
    let s = this.strikes.get(module);
    if (s && ++s.runs > INLINE_STRIKE_WINDOW) {
      this.strikes.delete(module);
      s = undefined;
    }
    if (tookMs <= this.slowMs) return;
    if (!s) this.strikes.set(module, (s = { slow: 0, runs: 0 }));
    if (++s.slow < INLINE_SLOW_STRIKES) return;
    this.slow.add(module);
    this.logger?.warn({ runtime: 'wasm', agent_id: agentId, took_ms: Math.round(tookMs), slow_runs: s.slow }, 'inline wasm runs were slow; the module now runs on workers only');
  }

  /** Tasks answered inline, tasks sent on to a worker after an inline try, and the longest try (for tests, health). */
  stats(): { inline: number; declined: number; longestMs: number } {
    return { ...this.counts, longestMs: this.longestMs };
  }
}
