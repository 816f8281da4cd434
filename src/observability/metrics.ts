// Prometheus metrics (the seed's names plus queue gauges) on their own registry and HTTP listener.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from './logger.js';

// Tasks range from sub-millisecond wasm calls to multi-minute containers.
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class Metrics {
  /** Own registry, so several daemons in one process (tests) never collide on the global one. */
  readonly registry = new Registry();
  private readonly receivedTotal: Counter<'agent' | 'runtime'>;
  private readonly completedTotal: Counter<'agent' | 'runtime'>;
  private readonly failedTotal: Counter<'agent' | 'runtime' | 'error'>;
  private readonly duration: Histogram<'agent' | 'runtime'>;
  private readonly queueDepth: Gauge<'runtime'>;
  private readonly runningTasks: Gauge<'runtime'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.receivedTotal = new Counter({
      name: 'agent_tasks_received_total', help: 'Tasks accepted for execution', labelNames: ['agent', 'runtime'], registers,
    });
    this.completedTotal = new Counter({
      name: 'agent_tasks_completed_total', help: 'Tasks that ended COMPLETED', labelNames: ['agent', 'runtime'], registers,
    });
    this.failedTotal = new Counter({
      name: 'agent_tasks_failed_total',
      help: 'Tasks that ended in any other terminal status; error is the error code, else the status',
      labelNames: ['agent', 'runtime', 'error'], registers,
    });
    this.duration = new Histogram({
      name: 'agent_task_duration_seconds', help: 'Wall time of finished tasks, queueing excluded',
      labelNames: ['agent', 'runtime'], buckets: DURATION_BUCKETS, registers,
    });
    this.queueDepth = new Gauge({
      name: 'ari_queue_depth', help: 'Tasks waiting for a slot, per backend', labelNames: ['runtime'], registers,
    });
    this.runningTasks = new Gauge({
      name: 'ari_running_tasks', help: 'Tasks executing now, per backend', labelNames: ['runtime'], registers,
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  received(agent: string, runtime: string): void {
    this.receivedTotal.inc({ agent, runtime });
  }

  finished(agent: string, runtime: string, status: string, errorCode: string | undefined, seconds: number): void {
    if (status === 'COMPLETED') this.completedTotal.inc({ agent, runtime });
    else this.failedTotal.inc({ agent, runtime, error: errorCode || status });
    this.duration.observe({ agent, runtime }, seconds);
  }

  setQueue(runtime: string, depth: number, running: number): void {
    this.queueDepth.set({ runtime }, depth);
    this.runningTasks.set({ runtime }, running);
  }

  /** The exposition text, as served on /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** "127.0.0.1:9464", "[::1]:9464", ":9464" or "9464" (all interfaces). */
export function parseHostPort(listen: string): { host?: string; port: number } {
  const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(\d+)$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new Error(`invalid metrics listen address "${listen}": expected host:port, e.g. 127.0.0.1:9464`);
  }
  return { host: m[1] ?? (m[2] || undefined), port };
}

export interface MetricsServer { port: number; close(): Promise<void> }

/** Serves GET /metrics only (404 otherwise). Port 0 picks a free port, reported back. */
export async function startMetricsServer(metrics: Metrics, listen: string, logger: Logger): Promise<MetricsServer> {
  const { host, port } = parseHostPort(listen);
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (err: Error) => {
        logger.error({ err }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ listen: `${host ?? '0.0.0.0'}:${bound}` }, 'metrics listening');
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
