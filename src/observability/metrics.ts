// Prometheus metrics on their own registry. Prefix scheme: the seed's task metrics keep their `agent_` names;
// every other ari metric is `ari_*`; prom-client's process metrics keep `process_*` / `nodejs_*`.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The seed's duration buckets: 0.01 s × 2ⁿ, ten of them (10 ms … 5.12 s). */
export const SEED_DURATION_BUCKETS: readonly number[] = Array.from({ length: 10 }, (_, n) => 0.01 * 2 ** n);

export interface TaskLabels { agent: string; runtime: string; capability: string }

export interface MetricsOptions {
  /** Backends whose gauges exist (at 0) from the start. */
  runtimes?: readonly string[];
  version?: string;
  buckets?: readonly number[];
  defaultMetrics?: boolean;
  /** Agents with a network policy: their egress counters exist (at 0) from the start. */
  egressAgents?: readonly string[];
}

/** A task's egress at session close (src/egress/session.ts EgressUsage; only these fields are counted). */
export interface EgressTally { egressConnections: number; denied: number; bytesUp: number; bytesDown: number }

type L = 'agent' | 'runtime' | 'capability';

export class Metrics {
  /** Own registry, so several daemons in one process (tests) never collide on the global one. */
  readonly registry = new Registry();
  private readonly receivedTotal: Counter<L>;
  private readonly completedTotal: Counter<L>;
  private readonly failedTotal: Counter<L | 'error'>;
  private readonly cancelledTotal: Counter<L>;
  private readonly duration: Histogram<L | 'status'>;
  private readonly queueDepth: Gauge<'runtime'>;
  private readonly runningTasks: Gauge<'runtime'>;
  private readonly backendUp: Gauge<'runtime'>;
  private readonly fleetQueueDepth: Gauge<'runtime'>;
  private readonly fleetMembers: Gauge;
  private readonly connectionsOpenGauge: Gauge;
  private readonly connectionsRejected: Counter<'reason'>;
  private readonly egressConnections: Counter<'agent' | 'decision'>;
  private readonly egressBytes: Counter<'agent' | 'direction'>;
  private queueReader?: (runtime: string) => { queued: number; running: number };

  constructor(private readonly opts: MetricsOptions = {}) {
    const registers = [this.registry];
    const labelNames = ['agent', 'runtime', 'capability'] as const;
    this.receivedTotal = new Counter({ name: 'agent_tasks_received_total', help: 'Tasks accepted for execution', labelNames, registers });
    this.completedTotal = new Counter({ name: 'agent_tasks_completed_total', help: 'Tasks that ended COMPLETED', labelNames, registers });
    this.failedTotal = new Counter({
      name: 'agent_tasks_failed_total',
      help: 'Tasks that ended in a failure status (not COMPLETED, not CANCELLED); error is the error code, else the status',
      labelNames: [...labelNames, 'error'], registers,
    });
    this.cancelledTotal = new Counter({
      name: 'agent_tasks_cancelled_total', help: 'Tasks cancelled by a client or by shutdown (not failures)', labelNames, registers,
    });
    this.duration = new Histogram({
      name: 'agent_task_duration_seconds', help: 'Wall time of finished tasks, queueing excluded',
      labelNames: [...labelNames, 'status'], buckets: [...(opts.buckets ?? SEED_DURATION_BUCKETS)], registers,
    });
    // Read from the scheduler when scraped (readQueues), not set on every task's queue events.
    const collect = (): void => this.collectQueues();
    this.queueDepth = new Gauge({ name: 'ari_queue_depth', help: 'Tasks waiting for a slot, per backend', labelNames: ['runtime'], registers, collect });
    this.runningTasks = new Gauge({ name: 'ari_running_tasks', help: 'Tasks executing now, per backend', labelNames: ['runtime'], registers, collect });
    this.fleetQueueDepth = new Gauge({ name: 'ari_fleet_queue_depth', help: 'Fleet members only: tasks queued fleet-wide (shared store), per backend', labelNames: ['runtime'], registers });
    this.fleetMembers = new Gauge({ name: 'ari_fleet_members', help: 'Fleet members only: members with a recent heartbeat in the shared store', registers });
    this.backendUp = new Gauge({ name: 'ari_backend_up', help: '1 when the backend can run tasks, else 0', labelNames: ['runtime'], registers });
    this.connectionsOpenGauge = new Gauge({ name: 'ari_grpc_connections_open', help: 'gRPC connections open now (handshaking included)', registers });
    this.connectionsRejected = new Counter({
      name: 'ari_grpc_connections_rejected_total',
      help: 'gRPC connections closed by the guard: max_connections, max_connections_per_peer, handshake_timeout, bad_preface',
      labelNames: ['reason'], registers,
    });
    this.egressConnections = new Counter({
      name: 'ari_egress_connections_total', help: 'Egress attempts through the proxy: allowed (an upstream connection opened) or denied', labelNames: ['agent', 'decision'], registers,
    });
    this.egressBytes = new Counter({
      name: 'ari_egress_bytes_total', help: 'Bytes exchanged with allowed egress destinations: up (sent by the agent) or down', labelNames: ['agent', 'direction'], registers,
    });
    for (const agent of opts.egressAgents ?? []) this.egress(agent, { egressConnections: 0, denied: 0, bytesUp: 0, bytesDown: 0 });
    const info = new Gauge({ name: 'ari_build_info', help: 'Always 1; the labels say which ari runs', labelNames: ['version', 'node_version'], registers });
    info.set({ version: opts.version ?? 'unknown', node_version: process.version }, 1);
    // A gauge that appears only after the first task makes absent() alerts and dashboards lie; start at 0.
    for (const runtime of opts.runtimes ?? []) {
      this.setQueue(runtime, 0, 0);
      this.backendUp.set({ runtime }, 0);
    }
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  received(l: TaskLabels): void {
    this.receivedTotal.inc(labels(l));
  }

  finished(l: TaskLabels, status: string, errorCode: string | undefined, seconds: number): void {
    const base = labels(l);
    if (status === 'COMPLETED') this.completedTotal.inc(base);
    else if (status === 'CANCELLED') this.cancelledTotal.inc(base);
    else this.failedTotal.inc({ ...base, error: errorCode || status });
    this.duration.observe({ ...base, status }, seconds);
  }

  /** Where the queue gauges read their values at each scrape (the daemon's scheduler). */
  readQueues(read: (runtime: string) => { queued: number; running: number }): void {
    this.queueReader = read;
  }

  private collectQueues(): void {
    for (const runtime of this.opts.runtimes ?? []) {
      const s = this.queueReader?.(runtime);
      if (s) this.setQueue(runtime, s.queued, s.running);
    }
  }

  setQueue(runtime: string, depth: number, running: number): void {
    this.queueDepth.set({ runtime }, depth);
    this.runningTasks.set({ runtime }, running);
  }

  connectionsOpen(n: number): void {
    this.connectionsOpenGauge.set(n);
  }

  connectionRejected(reason: string): void {
    this.connectionsRejected.inc({ reason });
  }

  setFleet(queueDepth: Record<string, number>, liveMembers: number): void {
    for (const [runtime, n] of Object.entries(queueDepth)) this.fleetQueueDepth.set({ runtime }, n);
    this.fleetMembers.set(liveMembers);
  }

  /** Counted once per task, from its usage when its egress session closes. */
  egress(agent: string, u: EgressTally): void {
    this.egressConnections.inc({ agent, decision: 'allowed' }, u.egressConnections);
    this.egressConnections.inc({ agent, decision: 'denied' }, u.denied);
    this.egressBytes.inc({ agent, direction: 'up' }, u.bytesUp);
    this.egressBytes.inc({ agent, direction: 'down' }, u.bytesDown);
  }

  setBackendUp(runtime: string, up: boolean): void {
    this.backendUp.set({ runtime }, up ? 1 : 0);
  }

  /** The exposition text, as served on /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

const labels = (l: TaskLabels) => ({ agent: l.agent, runtime: l.runtime, capability: l.capability });
