// Placeholder for component agents (issue 5): they are detected and refused clearly until jco support lands.
import { AgentLoadError, type AgentSpec } from '../runtime.js';

export function loadComponent(agent: AgentSpec): never {
  throw new AgentLoadError(agent.id, `module ${agent.module}: components not supported yet`);
}
