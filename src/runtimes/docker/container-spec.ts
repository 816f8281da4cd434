// What a task container is created with: the agent's image/entrypoint/env, hardened limits, ownership labels.
import { AGENT_USER, hardenedHostConfig } from '../../sandbox/docker/host-config.js';
import type { Limits } from '../../contract/limits.js';
import { seccompProfileJson } from '../../sandbox/docker/seccomp-profile.js';
import type { TaskCgroup } from '../../sandbox/docker/task-cgroup.js';
import type { DockerAgentSpec } from './agent-spec.js';
import type { ContainerCreateSpec } from './container-client.js';
import { OWNER } from './owner.js';

/** Every container we create carries these; `ari.managed=1` is what the startup sweep lists. */
export const LABEL_MANAGED = 'ari.managed';
export const LABEL_DAEMON = 'ari.daemon';
export const LABEL_OWNER = 'ari.owner';
export const LABEL_TASK = 'ari.task';
export const LABEL_AGENT = 'ari.agent';
/** `ari.task` of a pooled container: labels are fixed at creation, before the task is known. */
export const POOLED_TASK = '(pool)';

export interface SpecInput {
  /** The image id prepare() inspected (not the tag: a re-tagged image with new VOLUMEs must not slip in). */
  image: string;
  /** Its declared volumes, normalised (imageVolumes). */
  volumes: readonly string[];
  entrypoint?: string[];
  env: Record<string, string>;
  limits: Limits;
  daemonId: string;
  taskId: string;
  agentId: string;
  cgroup?: TaskCgroup;
  /** The internal egress network (a task with a network policy); its proxy env is already in `env`. */
  network?: string;
}

export function containerSpec(i: SpecInput): ContainerCreateSpec {
  return {
    image: i.image,
    ...(i.entrypoint ? { entrypoint: i.entrypoint } : {}),
    // Only the agent's configured environment: nothing of the daemon's leaks in.
    env: Object.entries(i.env).map(([k, v]) => `${k}=${v}`),
    user: AGENT_USER,
    labels: {
      [LABEL_MANAGED]: '1',
      [LABEL_DAEMON]: i.daemonId,
      [LABEL_OWNER]: OWNER,
      [LABEL_TASK]: i.taskId,
      [LABEL_AGENT]: i.agentId,
    },
    // AF_INET/6 only for a network task: its one network reaches nothing but its proxy endpoint.
    hostConfig: hardenedHostConfig(i.limits, { seccompJson: seccompProfileJson({ inet: !!i.network }), cgroupParent: i.cgroup?.parent, volumes: i.volumes, network: i.network }),
  };
}

export function agentSpecInput(agent: DockerAgentSpec): Pick<SpecInput, 'entrypoint' | 'env' | 'agentId'> {
  return { ...(agent.command?.length ? { entrypoint: agent.command } : {}), env: agent.env, agentId: agent.id };
}
