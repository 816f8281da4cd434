// This daemon's part in a fleet: claim loop (woken by notices, plus a slow poll), leases, lost-task sweeps, heartbeats.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AgentSpec, RuntimeName } from '../contract/agent.js';
import { RUNTIME_NAMES } from '../runtimes/backends.js';
import { agentHash } from './agent-hash.js';
import { manifestMismatches } from './fleet-checks.js';
import type { FleetStore, HostedAgent, Member, MemberInfo } from './fleet-store.js';
import type { Scheduler } from './scheduler.js';
import type { TaskService } from './task-service.js';

export interface FleetMemberOptions {
  store: FleetStore;
  tasks: TaskService;
  scheduler: Scheduler;
  /** Agents this daemon can run now (a broken one is not claimed for). */
  agents: AgentSpec[];
  address: string;
  uidRange: [number, number];
  pollMs: number;
  heartbeatMs?: number;
  logger: Logger;
  /** Fresh fleet facts after each heartbeat (metrics). */
  onFacts?: (h: FleetHealth) => void;
}

export interface FleetHealth {
  daemonId: string;
  members: Member[];
  queueDepth: Partial<Record<RuntimeName, number>>;
  /** Same agent id, other manifest, on a live member. */
  mismatches: string[];
  storeReachable: boolean;
}

export class FleetMember {
  private readonly hosted = new Map<RuntimeName, HostedAgent[]>();
  private readonly claiming = new Map<RuntimeName, 'busy' | 'again'>();
  /** Backends whose fleet queue may hold work (a QUEUED notice or the poll since the last short claim). */
  private readonly mayHaveWork = new Set<RuntimeName>(RUNTIME_NAMES);
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly offs: (() => void)[] = [];
  private mismatches: string[] = [];
  private reachable = true;
  private stopped = false;

  constructor(private readonly o: FleetMemberOptions) {
    for (const a of o.agents) {
      const list = this.hosted.get(a.runtime) ?? [];
      list.push({ agentId: a.id, agentHash: agentHash(a) });
      this.hosted.set(a.runtime, list);
    }
  }

  /** Registers (refusing an overlapping uid range), reports differing manifests, then starts the loops. */
  async start(): Promise<void> {
    const { store, tasks, logger } = this.o;
    await store.heartbeat(this.info(), true);
    this.mismatches = manifestMismatches(this.allHosted(), await store.members(), store.daemonId);
    for (const m of this.mismatches) logger.warn(m);
    this.offs.push(store.onNotice((n) => {
      if (n.kind === 'state' && n.status === 'QUEUED') this.mayHaveWork.add(n.runtime);
      void tasks.observe(n).catch(() => {});
    }));
    this.offs.push(store.onOutage((down) => {
      this.reachable = !down;
      if (!down) this.poll(); // catch up on whatever was missed while the store was away
    }));
    tasks.onWork = (rt) => this.kick(rt);
    const lease = store.leaseMs;
    this.every(Math.max(100, Math.floor(lease / 3)), () => this.renew());
    this.every(Math.max(200, Math.min(1_000, Math.floor(lease / 2))), () => this.sweep());
    this.every(this.o.heartbeatMs ?? 2_000, async () => {
      await store.heartbeat(this.info(), false);
      if (this.o.onFacts) this.o.onFacts(await this.health());
    });
    this.every(this.o.pollMs, async () => this.poll());
    this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const off of this.offs) off();
    this.o.tasks.onWork = undefined;
  }

  async health(): Promise<FleetHealth> {
    const { store } = this.o;
    const [members, queueDepth] = await Promise.all([store.members(), store.queueDepth()]);
    this.mismatches = manifestMismatches(this.allHosted(), members, store.daemonId);
    return { daemonId: store.daemonId, members, queueDepth, mismatches: this.mismatches, storeReachable: this.reachable };
  }

  /** Claims as many queued tasks as there are free slots; one claim loop per backend at a time. */
  kick(runtime: RuntimeName): void {
    const agents = this.hosted.get(runtime);
    // A freed slot asks for work after every task: with nothing queued fleet-wide that would be a wasted round trip.
    if (this.stopped || !agents?.length || !this.mayHaveWork.has(runtime) || this.o.scheduler.free(runtime) === 0) return;
    if (this.claiming.has(runtime)) {
      this.claiming.set(runtime, 'again');
      return;
    }
    this.claiming.set(runtime, 'busy');
    void this.claimLoop(runtime, agents).finally(() => {
      const again = this.claiming.get(runtime) === 'again';
      this.claiming.delete(runtime);
      if (again) this.kick(runtime);
    });
  }

  private async claimLoop(runtime: RuntimeName, agents: HostedAgent[]): Promise<void> {
    const { scheduler, store, tasks } = this.o;
    for (;;) {
      const want = scheduler.reserve(runtime, scheduler.free(runtime));
      if (want === 0 || this.stopped) { scheduler.release(runtime, want); return; }
      this.mayHaveWork.delete(runtime); // a QUEUED notice during the claim sets it again and re-runs the loop
      let got;
      try {
        got = await store.claim(runtime, agents, want);
      } catch {
        scheduler.release(runtime, want);
        this.mayHaveWork.add(runtime);
        return; // the poll tries again
      }
      scheduler.release(runtime, want - got.length);
      for (const c of got) tasks.runClaimed(c);
      // Only an empty claim says the queue is dry: a short one may have skipped rows other members were locking.
      if (got.length > 0) this.mayHaveWork.add(runtime);
      if (got.length < want) return;
    }
  }

  private poll(): void {
    for (const rt of RUNTIME_NAMES) {
      this.mayHaveWork.add(rt);
      this.kick(rt);
    }
    for (const id of this.o.tasks.remoteWatched()) void this.o.tasks.refresh(id).catch(() => {});
  }

  private async renew(): Promise<void> {
    const cancelled = await this.o.store.renew(this.o.tasks.runningHere());
    for (const id of cancelled) this.o.tasks.abort(id, 'cancelled by client');
  }

  private async sweep(): Promise<void> {
    const lost = await this.o.store.expireLeases();
    if (lost.length) this.o.logger.warn({ count: lost.length, task_ids: lost.slice(0, 20).map((r) => r.taskId) }, 'tasks of a lost fleet member recorded as FAILED DAEMON_LOST');
  }

  private info(): MemberInfo {
    const freeSlots: Partial<Record<RuntimeName, number>> = {};
    for (const rt of RUNTIME_NAMES) freeSlots[rt] = this.o.scheduler.free(rt);
    return { daemonId: this.o.store.daemonId, host: hostname(), address: this.o.address, freeSlots, uidRange: this.o.uidRange, agents: this.allHosted() };
  }

  private allHosted(): HostedAgent[] {
    return [...this.hosted.values()].flat();
  }

  private every(ms: number, f: () => Promise<unknown>): void {
    const t = setInterval(() => { if (!this.stopped) void f().catch(() => {}); }, ms);
    t.unref();
    this.timers.push(t);
  }
}
