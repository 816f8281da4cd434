// A task's egress: the grant its backend opens, a crossed budget → LimitAbort, denials → updates, and the merge at close.
import { LimitAbort } from '../contract/abort-reason.js';
import type { NetworkPolicy } from '../contract/agent.js';
import { killMessage } from '../contract/classify.js';
import type { EgressRecord } from '../contract/egress-record.js';
import type { Limits } from '../contract/limits.js';
import type { ExecutionResult } from '../contract/outcome.js';
import type { ListenerAddress } from '../egress/destination-check.js';
import { EgressProxy, type EgressProxyOptions, type EgressReport } from '../egress/egress-proxy.js';
import { parseAllowList } from '../egress/policy.js';
import type { EgressLimit, EgressUsage } from '../egress/session.js';
import type { EgressGrant } from '../runtimes/runtime.js';

export interface TaskEgressOptions {
  /** Name resolution and timeouts of the proxy (tests); its callbacks and listener list are this module's. */
  proxy?: Pick<EgressProxyOptions, 'lookup' | 'timeouts'>;
  /** Each task's final usage at session close (the ari_egress_* metrics). */
  onReport?: (agentId: string, usage: EgressUsage) => void;
}

/** What one task gives its egress: how to end its run, and where a denial is published. */
export interface EgressTaskHooks {
  abort(reason: LimitAbort): void;
  denied(message: string): void;
}

export interface EgressTask { taskId: string; agentId: string; network: NetworkPolicy; limits: Limits }

/** One task's egress: `grant` goes to the backend; `end` closes the session and merges usage and log into the result. */
export interface TaskEgressRun {
  readonly grant: EgressGrant;
  end(result: ExecutionResult): Promise<ExecutionResult>;
}

const KILL = { egress_bytes: 'EGRESS_BYTES', egress_connections: 'EGRESS_CONNECTIONS' } as const satisfies Record<EgressLimit, string>;

/** `denied CONNECT evil.example:443: not_allowlisted (…)` — the live `egress` update of a refused attempt. */
export function deniedMessage(r: EgressRecord): string {
  const what = r.kind === 'connect' ? 'CONNECT' : r.kind === 'http' ? 'HTTP' : 'request';
  const host = r.host.includes(':') ? `[${r.host}]` : r.host;
  const where = r.host ? ` ${host}:${r.port}${r.address && r.address !== r.host ? ` (${r.address})` : ''}` : '';
  return `denied ${what}${where}: ${r.reason}${r.detail ? ` (${r.detail})` : ''}`;
}

/**
 * The daemon's egress: one EgressProxy, created on the first session (a daemon whose tasks never use the network
 * never builds one), and the routing of its per-task callbacks to the task that owns the session.
 */
export class TaskEgress {
  private proxy?: EgressProxy;
  /** The proxy reads this array on every dial, so a listener added after the proxy exists is refused too. */
  private readonly own: ListenerAddress[] = [];
  private readonly tasks = new Map<string, { task: EgressTask; hooks: EgressTaskHooks }>();

  constructor(private readonly opts: TaskEgressOptions = {}) {}

  /** A listener of the daemon (gRPC, metrics, health): never an egress destination, whatever an allowlist says. */
  addOwnListener(l: ListenerAddress): void {
    this.own.push(l);
  }

  begin(task: EgressTask, hooks: EgressTaskHooks): TaskEgressRun {
    const entry = { task, hooks };
    this.tasks.set(task.taskId, entry);
    let opening: Promise<unknown> | undefined;
    let ended = false;
    const grant: EgressGrant = {
      open: (where) => {
        if (ended) return Promise.reject(new Error(`task ${task.taskId} has ended: its egress session cannot open`));
        if (opening) return Promise.reject(new Error(`task ${task.taskId} already opened its egress session`));
        const budgets = { egressBytes: task.limits.egressBytes, egressConnections: task.limits.egressConnections };
        const p = this.ensureProxy().openSession(task.taskId, parseAllowList(task.network.allow), budgets, where);
        opening = p.catch(() => undefined);
        return p;
      },
    };
    const end = async (result: ExecutionResult): Promise<ExecutionResult> => {
      ended = true;
      await opening; // an open still in flight must not leave a session behind
      // Closing cannot fail short of a unix socket file that will not go; the task's outcome must be recorded anyway.
      const report = await this.proxy?.closeSession(task.taskId).catch(() => undefined);
      if (this.tasks.get(task.taskId) === entry) this.tasks.delete(task.taskId);
      return report ? this.merged(task, result, report) : result;
    };
    return { grant, end };
  }

  /** Ends every session left (after the tasks drained, there should be none). */
  async close(): Promise<void> {
    await this.proxy?.close();
  }

  private merged(task: EgressTask, result: ExecutionResult, report: EgressReport): ExecutionResult {
    this.opts.onReport?.(task.agentId, report.usage);
    const { egressBytes, egressConnections } = report.usage;
    return { ...result, usage: { ...result.usage, egressBytes, egressConnections }, egress: { records: report.records, dropped: report.dropped } };
  }

  private ensureProxy(): EgressProxy {
    this.proxy ??= new EgressProxy({
      ...this.opts.proxy,
      ownListeners: this.own,
      onLimit: (taskId, which) => {
        const t = this.tasks.get(taskId);
        t?.hooks.abort(new LimitAbort(KILL[which], killMessage(KILL[which], t.task.limits)));
      },
      onEgress: (taskId, record) => this.tasks.get(taskId)?.hooks.denied(deniedMessage(record)),
    });
    return this.proxy;
  }
}
