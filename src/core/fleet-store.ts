// What a store shared by several daemons offers beyond the Journal: claims, leases, wake-ups and membership.
import type { RuntimeName } from '../contract/agent.js';
import type { TaskStatus } from '../contract/outcome.js';
import type { TaskRecord } from './task-record.js';

/** A change to a task written by any daemon of the fleet (this one included). */
export interface TaskNotice {
  taskId: string;
  status: TaskStatus;
  runtime: RuntimeName;
  /** 'cancel': someone asked the owner to cancel it. */
  kind: 'state' | 'cancel';
}

/** An agent this daemon may run: tasks are claimed only for the same id and manifest fingerprint. */
export interface HostedAgent {
  agentId: string;
  agentHash: string;
}

export interface ClaimedTask {
  record: TaskRecord;
  input: unknown;
}

export interface MemberInfo {
  daemonId: string;
  host: string;
  address: string;
  /** Free slots per backend right now. */
  freeSlots: Partial<Record<RuntimeName, number>>;
  /** Native sandbox uids [start, count]; [0, 0] when native runs nothing. */
  uidRange: [number, number];
  agents: HostedAgent[];
}

export interface Member extends MemberInfo {
  startedAt: number;
  heartbeatAt: number;
  live: boolean;
}

export interface FleetStore {
  readonly daemonId: string;
  readonly leaseMs: number;
  /** Takes up to `max` QUEUED tasks of `runtime` for the given agents, oldest first, as RUNNING under a fresh lease. */
  claim(runtime: RuntimeName, agents: HostedAgent[], max: number): Promise<ClaimedTask[]>;
  /** Extends the leases of tasks this daemon is running; returns those whose cancellation was requested. */
  renew(taskIds: string[]): Promise<string[]>;
  /** A QUEUED task is cancelled at once (its record returned); a RUNNING one is flagged for its owner. */
  requestCancel(taskId: string, message: string): Promise<TaskRecord | undefined>;
  /** Records RUNNING tasks whose lease ran out as FAILED DAEMON_LOST; returns them. */
  expireLeases(): Promise<TaskRecord[]>;
  /** Registers this daemon (refusing an overlapping native uid range of a live member) and refreshes its row. */
  heartbeat(info: MemberInfo, first: boolean): Promise<void>;
  members(): Promise<Member[]>;
  /** Unclaimed QUEUED tasks per backend, fleet-wide. */
  queueDepth(): Promise<Partial<Record<RuntimeName, number>>>;
  /** Called for every task change anywhere in the fleet; returns an unsubscribe. */
  onNotice(listener: (n: TaskNotice) => void): () => void;
  /** Called when the store connection is lost (true) or back (false). */
  onOutage(listener: (down: boolean) => void): () => void;
  /** Drops this daemon's membership row (clean shutdown). */
  leave(): Promise<void>;
}
