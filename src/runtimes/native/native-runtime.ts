// The `native` backend: agents as host programs, each task in a fresh bwrap sandbox (pre-started or cold) with its own uid, rlimits, cgroup and seccomp filter.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { pino, type Logger } from 'pino';
import { emptyUsage, type ExecutionResult } from '../../contract/outcome.js';
import { SANDBOX_FILE_LIMITS, type Limits } from '../../contract/limits.js';
import { coveredBy, interpreterOf } from '../../sandbox/native/binary-needs.js';
import { detectCgroups } from '../../sandbox/native/cgroup-detect.js';
import { CgroupTree } from '../../sandbox/native/cgroup-tree.js';
import { compileSeccomp, encodeSeccomp } from '../../sandbox/native/seccomp-bpf.js';
import { seccompRules } from '../../sandbox/native/seccomp-policy.js';
import { UidPool } from '../../sandbox/native/uid-pool.js';
import { unreachableBySandbox } from '../../sandbox/native/sandbox-reach.js';
import { AgentLoadError, type BackendHealth, type ExecutionHooks, type Runtime } from '../runtime.js';
import type { AgentSpec, ExecutionTask } from '../../contract/agent.js';
import type { NativeAgentSpec } from './agent-spec.js';
import { findExecutable, findTools, probeUserNamespaces, SEARCH_PATH } from './host-check.js';
import { executeSandboxed, startSandbox } from './native-execution.js';
import { sandboxLimits, type SandboxHost } from './sandbox-host.js';
import { SandboxPool } from './sandbox-pool.js';
import type { TaskCgroup } from '../../sandbox/native/task-cgroup.js';
import { startJanitor, type Janitor } from './janitor.js';
import { sweepNative } from './sweep-native.js';
import { NATIVE_ENFORCES } from './enforcement.js';
import { Spawner } from './spawner.js';

export interface NativeRuntimeOptions {
  logger?: Logger;
  /** First sandbox uid and how many (one per concurrent task). */
  uidRange?: [number, number];
  /** Where the cgroup hierarchies are mounted. */
  cgroupRoot?: string;
  /** Size of each sandbox's private /tmp (also its RLIMIT_FSIZE). */
  tmpfsBytes?: number;
  /** CPU bandwidth per task, in cores. */
  cpus?: number;
  /** Where to look for bwrap, setpriv, prlimit and sh (default: the usual system directories). */
  toolPath?: string[];
  /**
   * An agent's resolved default limits. When given, prepare() fills a pooled agent's pool right away; otherwise
   * the pool is started with the limits of the agent's first task (which takes the cold path).
   */
  agentLimits?: (agent: AgentSpec) => Limits;
  /** Empty task cgroups kept ready, so making one stays off a task's path (default 4). */
  cgroupSpares?: number;
  /** Let agents open AF_INET/AF_INET6 sockets (an egress policy's call; default: AF_UNIX only). */
  allowInet?: boolean;
}

const DEFAULT_UIDS: [number, number] = [2_000_000, 64];
const DEFAULT_TMPFS = SANDBOX_FILE_LIMITS.fileSizeBytes;
const DEFAULT_SPARES = 4;
/** Removing a cgroup (rmdir in every hierarchy, RCU waits on v1) waits until the answer is on its way. */
const RETIRE_DELAY_MS = 10;

export class NativeRuntime implements Runtime<NativeAgentSpec> {
  readonly name = 'native' as const;
  readonly enforces = NATIVE_ENFORCES;
  private readonly logger: Logger;
  private host: SandboxHost | null = null;
  private janitor: Janitor | null = null;
  private unavailable = 'not started';
  private features: Record<string, string> = {};
  private readonly running = new Map<Promise<ExecutionResult>, AbortController>();
  private readonly pools = new Map<string, { agent: NativeAgentSpec; pool: SandboxPool }>();
  /** Cgroup removals of ended sandboxes (each frees its uid when done) and closing pools; close() waits for them. */
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: NativeRuntimeOptions = {}) {
    this.logger = opts.logger ?? pino({ level: 'silent' }); // runtimes sit below observability: no import of its logger
  }

  async start(): Promise<void> {
    try {
      this.unavailable = (await this.setUp()) ?? '';
    } catch (e) {
      this.unavailable = `native sandbox setup failed: ${(e as Error).message}`;
    }
    if (this.unavailable) this.logger.warn({ reason: this.unavailable }, 'native backend unavailable');
  }

  /** Returns why the backend cannot run, or null when it can. */
  private async setUp(): Promise<string | null> {
    if (process.platform !== 'linux' || process.arch !== 'x64') return `native sandboxes need Linux on x86_64 (this is ${process.platform}/${process.arch})`;
    if (process.getuid?.() !== 0) return 'the native backend must run as root (it switches to sandbox uids and manages cgroups)';
    const tools = findTools(this.opts.toolPath);
    if (typeof tools === 'string') return tools;
    const [uidStart, uidCount] = this.opts.uidRange && this.opts.uidRange[1] > 0 ? this.opts.uidRange : DEFAULT_UIDS;
    const uids = new UidPool(uidStart, uidCount);
    const layout = detectCgroups(this.opts.cgroupRoot);
    if (!layout) return 'no cgroup memory controller found (mount cgroup v1 controllers or cgroup2 with memory enabled)';
    const userns = await probeUserNamespaces(tools, uidStart);
    if (userns) return userns;
    const swept = await sweepNative(this.opts.cgroupRoot);
    if (swept.length) this.logger.warn({ swept }, 'removed cgroups and processes left by a previous daemon');
    const tree = CgroupTree.open(layout);
    this.janitor = startJanitor(tools.bash, tree);
    tree.keepSpares(this.opts.cgroupSpares ?? DEFAULT_SPARES);
    const nsenter = findExecutable('nsenter', this.opts.toolPath ?? SEARCH_PATH);
    this.features = { ...tree.features(), seccomp: 'yes', userns: 'yes', uids: `${uidStart}+${uidCount}`, egress: nsenter ? 'yes' : 'no: nsenter not found (install util-linux)' };
    const spawner = new Spawner(tools.setpriv, this.logger);
    spawner.warm();
    this.host = {
      tools, spawner, tree, uids, seccomp: encodeSeccomp(compileSeccomp(seccompRules({ inet: this.opts.allowInet }))), seccompInet: encodeSeccomp(compileSeccomp(seccompRules({ inet: true }))), nsenter, tmpfsBytes: this.opts.tmpfsBytes ?? DEFAULT_TMPFS, cpus: this.opts.cpus ?? 1, logger: this.logger,
      retire: (cg, uid) => this.retire(tree, uids, cg, uid),
      reclaimIdle: () => { for (const { pool } of this.pools.values()) if (pool.discardOne()) return; },
    };
    return null;
  }

  async prepare(agent: NativeAgentSpec): Promise<void> {
    const fail = (msg: string): never => { throw new AgentLoadError(agent.id, msg); };
    const bin = agent.command?.[0];
    if (!bin) fail('command: required for runtime "native" (an argv array)');
    if (!isAbsolute(bin!)) fail(`command[0]: ${JSON.stringify(bin)} must be an absolute path`);
    if (!existsSync(bin!)) fail(`command[0]: binary not found: ${bin}`);
    if (!statSync(bin!).isFile()) fail(`command[0]: not a regular file: ${bin}`);
    try {
      accessSync(bin!, constants.X_OK);
    } catch {
      fail(`command[0]: not executable: ${bin}`);
    }
    const unreachable = unreachableBySandbox(bin!, true);
    if (unreachable) fail(`command[0]: ${unreachable}`);
    const binds = agent.binds ?? [];
    binds.forEach((b, i) => {
      if (!isAbsolute(b)) fail(`binds[${i}]: ${JSON.stringify(b)} must be an absolute path`);
      if (!existsSync(b)) fail(`binds[${i}]: path not found: ${b}`);
      const why = unreachableBySandbox(b, false);
      if (why) fail(`binds[${i}]: ${why}`);
    });
    if (agent.cwd !== undefined && !isAbsolute(agent.cwd)) fail(`cwd: ${JSON.stringify(agent.cwd)} must be an absolute path`);
    for (const k of Object.keys(agent.env)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) fail(`env: invalid variable name ${JSON.stringify(k)}`);
    const interp = interpreterOf(bin!);
    if (interp && !coveredBy(interp, [bin!, ...binds])) {
      fail(`command[0]: ${bin} needs ${interp}, which the sandbox does not contain: add its directories to binds (or build the agent statically)`);
    }
    if ((agent.pool ?? 0) > 0 && this.opts.agentLimits) this.poolFor(agent, this.opts.agentLimits(agent));
  }

  execute(agent: NativeAgentSpec, task: ExecutionTask, signal: AbortSignal, hooks?: ExecutionHooks): Promise<ExecutionResult> {
    const host = this.host;
    if (!host || this.closed) {
      return Promise.resolve({ status: 'FAILED', usage: emptyUsage(), metrics: {}, error: { code: 'SANDBOX_ERROR', message: `native backend unavailable: ${this.unavailable || 'closed'}` } });
    }
    // Our own controller lets close() cancel what runs; the caller's signal feeds it.
    const ac = new AbortController();
    const forward = (): void => ac.abort(signal.reason);
    if (signal.aborted) ac.abort(signal.reason);
    else signal.addEventListener('abort', forward, { once: true });
    // A task with network runs only in a sandbox spawned with it: the agent's own pooled ones (it has a policy), else cold.
    const pool = signal.aborted || (hooks?.egress && !agent.network) ? undefined : this.poolFor(agent, task.limits);
    const pooled = pool?.take();
    const run = executeSandboxed(host, agent, task, ac.signal, hooks, pooled)
      .catch((e: Error): ExecutionResult => {
        this.logger.error({ err: e, task_id: task.taskId }, 'native execution failed');
        return { status: 'FAILED', usage: emptyUsage(), metrics: {}, error: { code: 'SANDBOX_ERROR', message: e.message } };
      })
      .finally(() => {
        signal.removeEventListener('abort', forward);
        this.running.delete(run);
        if (pooled) pool!.scheduleFill();
      });
    this.running.set(run, ac);
    return run;
  }

  /** The agent's pool, if it has one. */
  pool(agentId: string): SandboxPool | undefined {
    return this.pools.get(agentId)?.pool;
  }

  /** The pool that serves these limits for this agent (started on first sight when the agent asks for one). */
  private poolFor(agent: NativeAgentSpec, limits: Limits): SandboxPool | undefined {
    const host = this.host;
    const size = agent.pool ?? 0;
    if (!host || size <= 0 || this.closed) return undefined;
    const { key } = sandboxLimits(host, limits);
    const have = this.pools.get(agent.id);
    if (have && have.agent === agent) return have.pool.key === key ? have.pool : undefined;
    if (have) this.track(have.pool.close()); // the agent was reloaded: its old sandboxes run the old spec
    const fixed = { limits };
    const pool = new SandboxPool(size, key, () => startSandbox(host, agent, fixed, undefined, false, !!agent.network), this.logger);
    this.pools.set(agent.id, { agent, pool });
    pool.scheduleFill();
    return undefined; // the task that asked goes cold while the pool fills
  }

  /** Off the answer's path: only a cgroup proven empty frees its uid (a stray would share NPROC with the next task). */
  private retire(tree: CgroupTree, uids: UidPool, cg: TaskCgroup, uid: number): void {
    const done = new Promise((r) => setTimeout(r, RETIRE_DELAY_MS)).then(() => tree.destroyTask(cg)).then((empty) => {
      if (empty) uids.release(uid);
      else this.logger.error({ uid, pids: cg.pids() }, 'native sandbox left processes that would not die; uid quarantined');
    }).catch((e: Error) => this.logger.error({ err: e, uid }, 'native sandbox cgroup removal failed; uid quarantined'));
    this.track(done);
  }

  private track(p: Promise<void>): void {
    this.retiring.add(p);
    void p.finally(() => this.retiring.delete(p));
  }

  /** A pool that gave up (its agent works while idle, or dies there) degrades the backend: health names the agent and why. */
  async health(): Promise<BackendHealth> {
    const features = { ...this.features };
    const degraded: string[] = [];
    for (const [id, { pool }] of this.pools) {
      if (!pool.stopped) continue;
      features[`pool:${id}`] = 'stopped';
      degraded.push(`agent ${JSON.stringify(id)}: ${pool.stopped}`);
    }
    const reason = this.closed ? 'closed' : this.unavailable || degraded.join('; ');
    return { runtime: 'native', available: !!this.host && !this.closed, reason, features };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ac of this.running.values()) ac.abort(new Error('native runtime closing'));
    const pools = [...this.pools.values()].map((p) => p.pool.close());
    this.pools.clear();
    await Promise.allSettled([...this.running.keys(), ...pools]);
    while (this.retiring.size) await Promise.allSettled([...this.retiring]);
    if (this.host && !(await this.host.tree.close())) this.logger.error('native cgroup subtree could not be fully removed');
    await this.janitor?.stop();
    this.host?.spawner.close();
    this.host = null;
  }
}
