// The `docker` backend: each task in a fresh hardened container (pooled or cold), nothing left behind.
import type { Logger } from 'pino';
import { containerLimitsKey, type ContainerLimits } from '../../sandbox/docker/host-config.js';
import { TaskCgroup, taskCgroupsSupported } from '../../sandbox/docker/task-cgroup.js';
import { emptyUsage, type ExecutionResult } from '../../contract/outcome.js';
import type { Limits } from '../../contract/limits.js';
import { AgentLoadError, type BackendHealth, type ExecutionHooks, type Runtime } from '../runtime.js';
import type { AgentSpec, ExecutionTask } from '../../contract/agent.js';
import type { ContainerClient } from './container-client.js';
import { ContainerPool } from './container-pool.js';
import { ContainerSession } from './container-session.js';
import { agentSpecInput, containerSpec, POOLED_TASK } from './container-spec.js';
import { DockerodeClient, DEFAULT_SOCKET } from './dockerode-client.js';
import { runCanary, sweepStale, unreachableReason } from './engine-check.js';
import { buildContextFor, ensureImage } from './image-builder.js';
import { OWNER } from './owner.js';
import { runTask } from './run-task.js';

export interface DockerRuntimeOptions {
  daemonId: string;
  logger?: Logger;
  socketPath?: string;
  /** Another ContainerClient (the engine stays real; this is for alternative transports). */
  client?: ContainerClient;
  /**
   * An agent's resolved default limits. When given, prepare() fills the agent's pool right away; otherwise
   * the pool is created with the limits of the agent's first task (which takes the cold path).
   */
  agentLimits?: (agent: AgentSpec) => Limits;
}

function sandboxError(message: string, wallMs = 0): ExecutionResult {
  return { status: 'FAILED', error: { code: 'SANDBOX_ERROR', message }, usage: { ...emptyUsage(), wallMs }, metrics: {} };
}

export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  private readonly client: ContainerClient;
  private readonly logger?: Logger;
  private healthState: BackendHealth = { runtime: 'docker', available: false, reason: 'not started', features: {} };
  private useCgroups = false;
  private seq = 0;
  private closed = false;
  private readonly pools = new Map<string, ContainerPool>();
  /** Every container this runtime has open (running a task, or being removed), so close() can remove them. */
  private readonly live = new Set<ContainerSession>();
  private readonly removals = new Set<Promise<void>>();

  constructor(private readonly opts: DockerRuntimeOptions) {
    this.logger = opts.logger;
    this.client = opts.client ?? new DockerodeClient(opts.socketPath ?? DEFAULT_SOCKET);
  }

  async start(): Promise<void> {
    try {
      await this.client.ping();
    } catch (e) {
      return this.unavailable(unreachableReason(this.client.endpoint, e));
    }
    try {
      const info = await this.client.info();
      this.useCgroups = taskCgroupsSupported(info.cgroupDriver);
      await sweepStale(this.client, this.logger);
      await runCanary(this.client, this.opts.daemonId, this.logger);
      this.healthState = {
        runtime: 'docker', available: true, reason: '',
        features: {
          engine: info.version, api: info.apiVersion, cgroup: `v${info.cgroupVersion}`, cgroup_driver: info.cgroupDriver,
          seccomp: 'ari profile', network: 'none', usage: this.useCgroups ? 'cgroup' : 'unavailable (systemd cgroup driver)',
        },
      };
    } catch (e) {
      this.unavailable(`Docker engine at ${this.client.endpoint} cannot run hardened containers: ${(e as Error).message}`);
    }
  }

  async prepare(agent: AgentSpec): Promise<void> {
    if (!agent.image) throw new AgentLoadError(agent.id, 'runtime "docker" needs an image');
    let present: boolean;
    try {
      present = await this.client.imageExists(agent.image);
    } catch (e) {
      throw new AgentLoadError(agent.id, `cannot inspect image ${agent.image}: ${(e as Error).message}`);
    }
    if (!present) {
      const context = buildContextFor(agent.image, agent.build);
      if (!context) {
        throw new AgentLoadError(agent.id, `image ${agent.image} is not in the local engine and has no build context (set build = "<dir with a Dockerfile>")`);
      }
      const log = this.logger?.child({ agent_id: agent.id, image: agent.image });
      try {
        await ensureImage(agent.image, context, (line) => log?.info(line), this.client);
      } catch (e) {
        throw new AgentLoadError(agent.id, (e as Error).message);
      }
    }
    if ((agent.pool ?? 0) > 0 && this.opts.agentLimits) this.poolFor(agent, this.opts.agentLimits(agent));
  }

  async execute(agent: AgentSpec, task: ExecutionTask, signal: AbortSignal, hooks?: ExecutionHooks): Promise<ExecutionResult> {
    if (this.closed) return sandboxError('docker runtime is shut down');
    if (!this.healthState.available) return sandboxError(this.healthState.reason);
    const t0 = performance.now();
    let session = this.poolFor(agent, task.limits)?.take();
    if (!session) {
      try {
        session = await this.openSession(agent, task.limits, task.taskId);
      } catch (e) {
        return sandboxError(`cannot start container for ${agent.image}: ${(e as Error).message}`, Math.round(performance.now() - t0));
      }
      if (this.closed) {
        await session.dispose(); // close() ran while this container was starting
        return sandboxError('docker runtime is shut down');
      }
    }
    this.live.add(session);
    try {
      // Time spent starting a cold container counts against the task's deadline.
      const remaining = { ...task, limits: { ...task.limits, timeoutMs: Math.max(0, task.limits.timeoutMs - (performance.now() - t0)) } };
      const result = await runTask(this.client, session, remaining, signal, hooks);
      result.usage.wallMs = Math.round(performance.now() - t0);
      if (result.status === 'TIMEOUT' && result.error) result.error.message = `timed out after ${task.limits.timeoutMs} ms`;
      return result;
    } finally {
      this.retire(session);
    }
  }

  /** Removal is off the answer's path (a killed container is already gone; a finished one costs ~10 ms). */
  private retire(session: ContainerSession): void {
    const removal = session.dispose().finally(() => {
      this.live.delete(session);
      this.removals.delete(removal);
    });
    this.removals.add(removal);
  }

  async health(): Promise<BackendHealth> {
    return this.healthState;
  }

  /** The pool of an agent, if one serves these limits (created on first sight when the agent asks for one). */
  pool(agentId: string): ContainerPool | undefined {
    return this.pools.get(agentId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled([...pools.map((p) => p.close()), ...[...this.live].map((s) => s.dispose()), ...this.removals]);
  }

  private poolFor(agent: AgentSpec, limits: ContainerLimits): ContainerPool | undefined {
    const size = agent.pool ?? 0;
    if (size <= 0 || this.closed) return undefined;
    const key = containerLimitsKey(limits);
    let pool = this.pools.get(agent.id);
    if (!pool) {
      const fixed: ContainerLimits = { memoryBytes: limits.memoryBytes, pids: limits.pids };
      pool = new ContainerPool(size, key, () => this.openSession(agent, fixed, POOLED_TASK), this.logger);
      this.pools.set(agent.id, pool);
      pool.scheduleFill();
      return undefined; // the first task of this limits goes cold while the pool fills
    }
    return pool.limitsKey === key ? pool : undefined;
  }

  private openSession(agent: AgentSpec, limits: ContainerLimits, taskId: string): Promise<ContainerSession> {
    const cgroup = this.useCgroups ? new TaskCgroup(`${OWNER}-${++this.seq}`) : undefined;
    const spec = containerSpec({
      ...agentSpecInput(agent), limits: { memoryBytes: limits.memoryBytes, pids: limits.pids },
      daemonId: this.opts.daemonId, taskId, cgroup,
    });
    return ContainerSession.open(this.client, spec, cgroup);
  }

  private unavailable(reason: string): void {
    this.healthState = { runtime: 'docker', available: false, reason, features: {} };
    this.logger?.warn({ reason }, 'docker backend unavailable');
  }
}
