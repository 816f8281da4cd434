// What enforces each limit on the wasm backend (reported by `ari health`; null = refused when a request sets it).
import type { LimitEnforcement } from '../runtime.js';

export const WASM_ENFORCES: LimitEnforcement = {
  timeoutMs: 'deadline at fuel slices; stuck worker abandoned at +100 ms (starved: ≤ +500 ms)',
  memoryBytes: 'memory.grow/table caps + declared footprint + host buffers',
  cpuMillis: 'thread CPU clock at fuel slices; stuck worker abandoned at +100 ms (starved: ≤ +500 ms)',
  fuel: 'instrumented fuel',
  pids: null, // a wasm guest cannot start processes
  outputBytes: 'host output cap',
  egressBytes: 'egress proxy session budget (components, wasi:http)',
  egressConnections: 'egress proxy session budget (components, wasi:http)',
};
