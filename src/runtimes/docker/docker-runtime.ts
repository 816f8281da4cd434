// The `docker` backend: each task in a fresh hardened container (pooled or cold), nothing left behind.
import type { Logger } from 'pino';
import { containerLimitsKey } from '../../sandbox/docker/host-config.js';
import { TaskCgroup, taskCgroupsSupported } from '../../sandbox/docker/task-cgroup.js';
import { emptyUsage, type ExecutionResult } from '../../contract/outcome.js';
import { classify, type KillReason } from '../../contract/classify.js';
import type { Limits } from '../../contract/limits.js';
import { AgentLoadError, type BackendHealth, type ExecutionHooks, type LimitEnforcement, type Runtime } from '../runtime.js';
import { withTraceEnv, type AgentSpec, type ExecutionTask } from '../../contract/agent.js';
import type { DockerAgentSpec } from './agent-spec.js';
import type { ContainerClient } from './container-client.js';
import { ContainerPool, DEFAULT_IDLE_POLICY, type IdlePolicy } from './container-pool.js';
import { ContainerSession, startedOrEnded } from './container-session.js';
import { agentSpecInput, containerSpec, POOLED_TASK } from './container-spec.js';
import { DockerodeClient, DEFAULT_SOCKET } from './dockerode-client.js';
import { runCanary, sweepStale, unreachableReason } from './engine-check.js';
import { buildContextFor, ensureImage } from './image-builder.js';
import { checkImage, type CheckedImage } from './image-volumes.js';
import { OWNER } from './owner.js';
import { runTask } from './run-task.js';
import { admitContainer, EgressNetwork, type TaskEgress } from './egress-network.js';
import { dockerEnforces } from './enforcement.js';

export interface DockerRuntimeOptions {
  daemonId: string;
  logger?: Logger;
  socketPath?: string;
  /** Engine address ([runtimes.docker] host): unix:///path, tcp://h:p, http(s)://h:p; unset = $DOCKER_HOST, else socketPath. */
  host?: string;
  /** Another ContainerClient (the engine stays real; this is for alternative transports). */
  client?: ContainerClient;
  /**
   * An agent's resolved default limits. When given, prepare() fills the agent's pool right away; otherwise
   * the pool is created with the limits of the agent's first task (which takes the cold path).
   */
  agentLimits?: (agent: AgentSpec) => Limits;
  /** How pooled containers are held while idle (tests shorten it; the defaults are the product's). */
  idle?: Partial<IdlePolicy>;
}

/** Names the containers' cgroup parents: per process, not per runtime (two runtimes in one process must not share one). */
let cgroupSeq = 0;

function sandboxError(message: string, wallMs = 0): ExecutionResult {
  return { status: 'FAILED', error: { code: 'SANDBOX_ERROR', message }, usage: { ...emptyUsage(), wallMs }, metrics: {} };
}

export class DockerRuntime implements Runtime<DockerAgentSpec> {
  readonly name = 'docker' as const;
  get enforces(): LimitEnforcement { return dockerEnforces(this.useCgroups); }
  private readonly client: ContainerClient;
  private readonly logger?: Logger;
  private healthState: BackendHealth = { runtime: 'docker', available: false, reason: 'not started', features: {} };
  private useCgroups = false;
  /** The engine stopped answering after start: when it answers again, start() runs again. */
  private engineLost = false;
  private closed = false;
  private readonly pools = new Map<string, { agent: DockerAgentSpec; pool: ContainerPool }>();
  /** Per agent object (a reload is a new object): its image, inspected once. */
  private readonly images = new WeakMap<AgentSpec, Promise<CheckedImage>>();
  /** Every container this runtime has open (running a task, or being removed), so close() can remove them. */
  private readonly live = new Set<ContainerSession>();
  private readonly removals = new Set<Promise<void>>();
  /** The internal network of network tasks, created on first need (an agent with a policy, or such a task). */
  private egressNet?: Promise<EgressNetwork>;

  constructor(private readonly opts: DockerRuntimeOptions) {
    this.logger = opts.logger;
    this.client = opts.client ?? new DockerodeClient(opts.host ?? process.env.DOCKER_HOST ?? opts.socketPath ?? DEFAULT_SOCKET);
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
      await runCanary(this.client, this.opts.daemonId, this.useCgroups, this.logger);
      this.healthState = {
        runtime: 'docker', available: true, reason: '',
        features: {
          engine: info.version, api: info.apiVersion, cgroup: `v${info.cgroupVersion}`, cgroup_driver: info.cgroupDriver,
          seccomp: 'ari profile', network: 'none', egress: 'internal network + proxy (agents with a policy)', usage: this.useCgroups ? 'cgroup' : 'unavailable (systemd cgroup driver)',
          image_volumes: 'tmpfs (size-capped, counted against memory)',
          pools: this.useCgroups ? `idle containers throttled to ${this.idle.cpuFraction * 100}% of a core` : 'disabled (systemd cgroup driver: no per-container cgroup to hold idle containers in)',
        },
      };
    } catch (e) {
      this.unavailable(`Docker engine at ${this.client.endpoint} cannot run hardened containers: ${(e as Error).message}`);
    }
  }

  async prepare(agent: DockerAgentSpec): Promise<void> {
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
    try {
      await this.imageOf(agent);
    } catch (e) {
      throw new AgentLoadError(agent.id, (e as Error).message);
    }
    if (agent.network) {
      try {
        await this.egressNetwork();
      } catch (e) {
        throw new AgentLoadError(agent.id, `cannot set up the egress network for its network policy: ${(e as Error).message}`);
      }
    }
    if ((agent.pool ?? 0) > 0 && this.opts.agentLimits) this.poolFor(agent, this.opts.agentLimits(agent));
  }

  private egressNetwork(): Promise<EgressNetwork> {
    if (!this.egressNet) {
      const net = EgressNetwork.create(this.client, this.opts.daemonId);
      net.catch(() => { if (this.egressNet === net) this.egressNet = undefined; });
      this.egressNet = net;
    }
    return this.egressNet;
  }

  /**
   * The image's id and its VOLUMEs, once per agent object. Containers are created from the id, so the image
   * whose volumes were checked is the one that runs (a re-tag cannot add a volume afterwards).
   */
  private imageOf(agent: DockerAgentSpec): Promise<CheckedImage> {
    let p = this.images.get(agent);
    if (!p) {
      p = checkImage(this.client, agent.image!);
      p.catch(() => this.images.delete(agent));
      this.images.set(agent, p);
    }
    return p;
  }

  async execute(agent: DockerAgentSpec, task: ExecutionTask, signal: AbortSignal, hooks?: ExecutionHooks): Promise<ExecutionResult> {
    if (this.closed) return sandboxError('docker runtime is shut down');
    if (!this.healthState.available) return sandboxError(this.healthState.reason);
    const t0 = performance.now();
    if (!hooks?.egress) return this.run(agent, task, signal, hooks, t0);
    // A network task starts its own container on the egress network, behind its own endpoint: never a pooled one.
    let egress: TaskEgress;
    try {
      egress = await (await this.egressNetwork()).attach(hooks.egress);
    } catch (e) {
      return sandboxError(`cannot open the task's egress endpoint: ${(e as Error).message}`, Math.round(performance.now() - t0));
    }
    try {
      return await this.run(agent, task, signal, hooks, t0, egress);
    } finally {
      // Refuses new connections at once; the port rule's removal (an iptables call) is off the answer's path.
      this.track(egress.end());
    }
  }

  private async run(agent: DockerAgentSpec, task: ExecutionTask, signal: AbortSignal, hooks: ExecutionHooks | undefined, t0: number, egress?: TaskEgress): Promise<ExecutionResult> {
    let session = egress ? undefined : this.poolFor(agent, task.limits)?.take();
    if (!session) {
      const opening = this.openSession(withTraceEnv(agent, task), task.limits, task.taskId, false, agent, egress);
      let started: ContainerSession | KillReason;
      try {
        started = await startedOrEnded(opening, signal, t0 + task.limits.timeoutMs);
      } catch (e) {
        return sandboxError(`cannot start container for ${agent.image}: ${(e as Error).message}`, Math.round(performance.now() - t0));
      }
      if (typeof started === 'string') {
        // Cancelled or out of time while the container was starting: answer now, remove it once it exists.
        this.track(opening.then((s) => s.dispose(), () => {}));
        return classify({ killedFor: started }, { ...emptyUsage(), wallMs: Math.round(performance.now() - t0) }, task.limits);
      }
      session = started;
      if (this.closed) {
        await session.dispose(); // close() ran while this container was starting
        return sandboxError('docker runtime is shut down');
      }
    }
    this.live.add(session);
    try {
      // Time spent starting a cold container counts against the task's deadline.
      return await runTask(session, task, signal, { startedAt: t0, hooks });
    } finally {
      this.retire(session);
    }
  }

  /** Removal is off the answer's path (a killed container is stopped, not yet removed); close() waits for it. */
  private retire(session: ContainerSession): void {
    const removal = session.dispose().finally(() => {
      this.live.delete(session);
      this.removals.delete(removal);
    });
    this.removals.add(removal);
  }

  /** Re-pings the engine, so health follows an engine that stops (and a start() that comes back). */
  async health(): Promise<BackendHealth> {
    if (this.closed || this.healthState.reason === 'not started') return this.healthState;
    try {
      await this.client.ping();
      if (!this.healthState.available && this.engineLost) {
        this.engineLost = false;
        await this.start();
      }
    } catch (e) {
      this.engineLost = true;
      this.healthState = { runtime: 'docker', available: false, reason: unreachableReason(this.client.endpoint, e), features: {} };
    }
    return this.withPools(this.healthState);
  }

  /** Each pool's state as a feature (`pool:<agent>`): how many are ready, or why it backs off or stopped. */
  private withPools(h: BackendHealth): BackendHealth {
    if (!h.available || this.pools.size === 0) return h;
    const pools = Object.fromEntries([...this.pools].map(([id, { pool }]) => [`pool:${id}`, pool.status]));
    return { ...h, features: { ...h.features, ...pools } };
  }

  /** The pool of an agent, if one serves these limits (created on first sight when the agent asks for one). */
  pool(agentId: string): ContainerPool | undefined {
    return this.pools.get(agentId)?.pool;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()].map((p) => p.pool);
    this.pools.clear();
    await Promise.allSettled([...pools.map((p) => p.close()), ...[...this.live].map((s) => s.dispose()), ...this.removals]);
    const net = this.egressNet;
    this.egressNet = undefined;
    await net?.then((n) => n.remove(), () => undefined);
  }

  private get idle(): IdlePolicy {
    return { ...DEFAULT_IDLE_POLICY, ...this.opts.idle };
  }

  /**
   * The pool that serves these limits for this agent (started on first sight when the agent asks for one). Keyed
   * by every limit; a reloaded agent (a new object) gets a new pool. None without per-container cgroups: an idle
   * container could then neither be throttled nor watched.
   */
  private poolFor(agent: DockerAgentSpec, limits: Limits): ContainerPool | undefined {
    const size = agent.pool ?? 0;
    // Network agents are not pooled: a container's network and endpoint are fixed before its task is known.
    if (size <= 0 || agent.network || this.closed || !this.useCgroups) return undefined;
    const key = containerLimitsKey(limits);
    const have = this.pools.get(agent.id);
    if (have && have.agent === agent) return have.pool.limitsKey === key ? have.pool : undefined;
    if (have) this.track(have.pool.close()); // the agent was reloaded: its containers run the old spec
    const fixed = { ...limits };
    const pool = new ContainerPool(size, key, () => this.openSession(agent, fixed, POOLED_TASK, true), this.idle, this.logger);
    this.pools.set(agent.id, { agent, pool });
    pool.scheduleFill();
    return undefined; // the task that asked goes cold while the pool fills
  }

  private track(p: Promise<void>): void {
    const t = p.finally(() => this.removals.delete(t));
    this.removals.add(t);
  }

  /**
   * Fences a cgroup parent (a pooled container is throttled until its task), then creates and starts the
   * container from the checked image. `imageAgent`: whose image (withTraceEnv copies the agent object).
   */
  private async openSession(agent: DockerAgentSpec, limits: Limits, taskId: string, pooled: boolean, imageAgent = agent, egress?: TaskEgress): Promise<ContainerSession> {
    const image = await this.imageOf(imageAgent);
    const cgroup = this.useCgroups ? new TaskCgroup(`${OWNER}-${++cgroupSeq}`) : undefined;
    try {
      cgroup?.create({ memoryBytes: limits.memoryBytes, cpuFraction: pooled ? this.idle.cpuFraction : 1 });
    } catch (e) {
      cgroup?.remove();
      throw new Error(`cannot fence the container's cgroup ${cgroup?.parent}: ${(e as Error).message}`);
    }
    const input = agentSpecInput(agent);
    const spec = containerSpec({
      ...input, image: image.id, volumes: image.volumes, limits, daemonId: this.opts.daemonId, taskId, cgroup,
      ...(egress ? { env: { ...input.env, ...egress.env }, network: egress.network } : {}),
    });
    const session = await ContainerSession.open(this.client, spec, cgroup);
    if (egress) await admitContainer(this.client, session, egress);
    return session;
  }

  private unavailable(reason: string): void {
    this.healthState = { runtime: 'docker', available: false, reason, features: {} };
    this.logger?.warn({ reason }, 'docker backend unavailable');
  }
}
