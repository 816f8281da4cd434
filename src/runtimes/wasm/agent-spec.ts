// A wasm agent as validated from config: the common agent plus its module.
import type { AgentSpec } from '../../contract/agent.js';

export interface WasmAgentSpec extends AgentSpec {
  runtime: 'wasm';
  /** Absolute path of the core module or component. */
  module: string;
}
