// The Prometheus listener: seed metric names with capability labels and seed buckets, zeroed gauges,
// ari_build_info, /healthz and /readyz, 404s.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics, SEED_DURATION_BUCKETS } from '../../src/observability/metrics.js';
import { Scheduler } from '../../src/core/scheduler.js';
import { parseHostPort, startMetricsServer, type MetricsServer } from '../../src/observability/metrics-server.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const math = { agent: 'math', runtime: 'wasm', capability: 'calculate' };

describe('metrics server', () => {
  it('serves the seed names with the capability label on GET /metrics', async () => {
    const m = new Metrics({ runtimes: ['wasm', 'native', 'docker'], version: '9.9.9' });
    m.received(math);
    m.received(math);
    m.finished(math, 'COMPLETED', undefined, 0.004);
    m.finished(math, 'FAILED', 'AGENT_ERROR', 0.002);
    m.finished(math, 'TIMEOUT', '', 5);
    m.finished(math, 'CANCELLED', 'CANCELLED', 0.1);
    m.setQueue('wasm', 3, 2);
    server = await startMetricsServer(m, '127.0.0.1:0', silentLogger);
    expect(server.port).toBeGreaterThan(0);

    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(body).toContain('agent_tasks_received_total{agent="math",runtime="wasm",capability="calculate"} 2');
    expect(body).toContain('agent_tasks_completed_total{agent="math",runtime="wasm",capability="calculate"} 1');
    expect(body).toContain('agent_tasks_failed_total{agent="math",runtime="wasm",capability="calculate",error="AGENT_ERROR"} 1');
    expect(body).toContain('agent_tasks_failed_total{agent="math",runtime="wasm",capability="calculate",error="TIMEOUT"} 1');
    // CANCELLED is not a failure.
    expect(body).not.toContain('error="CANCELLED"');
    expect(body).toContain('agent_tasks_cancelled_total{agent="math",runtime="wasm",capability="calculate"} 1');
    expect(body).toContain('agent_task_duration_seconds_count{agent="math",runtime="wasm",capability="calculate",status="COMPLETED"} 1');
    expect(body).toMatch(/agent_task_duration_seconds_bucket\{le="0\.01",agent="math",runtime="wasm",capability="calculate",status="COMPLETED"\} 1/);
    expect(body).toContain('ari_queue_depth{runtime="wasm"} 3');
    expect(body).toContain('ari_running_tasks{runtime="wasm"} 2');
    expect(body).toContain('ari_queue_depth{runtime="docker"} 0');
    expect(body).toMatch(/ari_build_info\{version="9\.9\.9",node_version="v\d+[^"]*"\} 1/);
    expect(body).toContain('process_cpu_user_seconds_total');
    expect(body).toContain('nodejs_heap_size_used_bytes');
  });

  it('reads the queue gauges from the scheduler at each scrape', async () => {
    const b = { concurrency: 1, queue: 10, workers: 1, uidStart: 0, uidCount: 0 };
    const scheduler = new Scheduler({ wasm: b, native: b, docker: b });
    const m = new Metrics({ runtimes: ['wasm', 'native', 'docker'], defaultMetrics: false });
    m.readQueues((rt) => scheduler.stats(rt as 'wasm'));
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const jobs = [scheduler.run('wasm', () => gate), scheduler.run('wasm', () => gate), scheduler.run('wasm', () => gate)];
    const busy = await m.registry.metrics();
    expect(busy).toContain('ari_running_tasks{runtime="wasm"} 1');
    expect(busy).toContain('ari_queue_depth{runtime="wasm"} 2');
    release();
    await Promise.all(jobs);
    const idle = await m.registry.metrics();
    expect(idle).toContain('ari_running_tasks{runtime="wasm"} 0');
    expect(idle).toContain('ari_queue_depth{runtime="wasm"} 0');
  });

  it('uses the seed buckets: 0.01 s × 2ⁿ, ten of them', async () => {
    expect(SEED_DURATION_BUCKETS).toHaveLength(10);
    SEED_DURATION_BUCKETS.forEach((b, n) => expect(b).toBeCloseTo(0.01 * 2 ** n, 10));
    const m = new Metrics({ defaultMetrics: false });
    m.finished(math, 'COMPLETED', undefined, 0.5);
    const les = [...(await m.text()).matchAll(/agent_task_duration_seconds_bucket\{le="([^"]+)"/g)].map((x) => x[1]);
    expect(les).toEqual(['0.01', '0.02', '0.04', '0.08', '0.16', '0.32', '0.64', '1.28', '2.56', '5.12', '+Inf']);
  });

  it('answers /healthz, /readyz by readiness, and 404 to anything else', async () => {
    let ready = true;
    server = await startMetricsServer(new Metrics({ defaultMetrics: false }), '127.0.0.1:0', silentLogger,
      { ready: () => ({ ready, lines: ['wasm: available'] }) });
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const r1 = await fetch(`${base}/readyz`);
    expect(r1.status).toBe(200);
    expect(await r1.text()).toBe('ready\nwasm: available\n');
    ready = false;
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metricsx`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`${base}/metrics?x=1`)).status).toBe(200);
  });

  it('keeps registries apart, so two daemons in one process do not collide', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.received({ ...math, agent: 'x' });
    expect(await a.text()).toContain('agent_tasks_received_total{agent="x",runtime="wasm",capability="calculate"} 1');
    expect(await b.text()).not.toContain('agent="x"');
  });

  it('parses listen addresses and rejects bad ones', () => {
    expect(parseHostPort('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseHostPort('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseHostPort(':9464')).toEqual({ host: undefined, port: 9464 });
    expect(parseHostPort('9464')).toEqual({ host: undefined, port: 9464 });
    expect(() => parseHostPort('localhost')).toThrow(/invalid metrics listen address "localhost"/);
    expect(() => parseHostPort('h:99999')).toThrow(/invalid metrics listen address/);
  });

  it('fails to start on a taken port with the OS error', async () => {
    server = await startMetricsServer(new Metrics({ defaultMetrics: false }), '127.0.0.1:0', silentLogger);
    await expect(startMetricsServer(new Metrics({ defaultMetrics: false }), `127.0.0.1:${server.port}`, silentLogger))
      .rejects.toThrow(/EADDRINUSE/);
  });
});
