// A wasm task's network policy on the host side: open the egress endpoint for a component that can use it, and
// report a task whose signal an egress budget aborted as that limit (NETWORK_LIMIT), like every other backend.
import { killReasonOf } from '../../../contract/abort-reason.js';
import { classify } from '../../../contract/classify.js';
import type { Limits } from '../../../contract/limits.js';
import type { ExecutionResult } from '../../../contract/outcome.js';
import type { ExecutionHooks } from '../../runtime.js';
import type { EgressTarget, WasmArtifact } from '../shared/worker-protocol.js';

/**
 * Only components importing wasi:http get an endpoint (core modules have no network import at all). Defaults: TCP on
 * 127.0.0.1, ephemeral port — only the worker's I/O thread dials it; the guest never names or sees it.
 */
export async function openEgress(module: WasmArtifact, hooks: ExecutionHooks | undefined, ca: readonly string[] | undefined): Promise<EgressTarget | undefined> {
  if (!hooks?.egress || module instanceof WebAssembly.Module || !module.http) return undefined;
  const { host, port } = await hooks.egress.open();
  return ca?.length ? { host, port, ca: [...ca] } : { host, port };
}

/**
 * The worker saw a cancel (or nothing: the guest may finish on the truncated body first); an abort for a limit
 * enforced outside the sandbox wins, as the kill reason a process backend records at the abort would.
 */
export function withKillReason(result: ExecutionResult, signal: AbortSignal, limits: Limits): ExecutionResult {
  const kill = signal.aborted ? killReasonOf(signal) : 'CANCELLED';
  return kill === 'CANCELLED' ? result : classify({ killedFor: kill }, result.usage, limits);
}
