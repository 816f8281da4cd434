// A Docker agent as validated from config: the common agent plus its image, entrypoint, build context and pool.
import type { AgentSpec } from '../../contract/agent.js';

export interface DockerAgentSpec extends AgentSpec {
  runtime: 'docker';
  /** Image reference. */
  image: string;
  /** Entrypoint override (argv). */
  command?: string[];
  /** Build context directory used to build `image` when it is missing. */
  build?: string;
  /** Pre-started containers kept ready, each used for one task (0 disables). */
  pool: number;
}
