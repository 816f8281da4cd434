// A native agent as validated from config: the common agent plus its argv, binds, cwd and pool.
import type { AgentSpec } from '../../contract/agent.js';

export interface NativeAgentSpec extends AgentSpec {
  runtime: 'native';
  /** argv; argv[0] absolute. */
  command: string[];
  /** Extra absolute host paths bound read-only into the sandbox. */
  binds: string[];
  /** Working directory inside the sandbox (a bound path). */
  cwd?: string;
  /** Pre-started sandboxes kept ready, each used for one task (0 disables). */
  pool: number;
}
