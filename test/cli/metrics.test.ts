// The Prometheus listener: seed metric names with their labels, queue gauges, default process metrics, 404s.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics, parseHostPort, startMetricsServer, type MetricsServer } from '../../src/observability/metrics.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('metrics server', () => {
  it('serves the seed names on GET /metrics', async () => {
    const m = new Metrics();
    m.received('math', 'wasm');
    m.received('math', 'wasm');
    m.finished('math', 'wasm', 'COMPLETED', undefined, 0.004);
    m.finished('math', 'wasm', 'FAILED', 'AGENT_ERROR', 0.002);
    m.finished('math', 'wasm', 'TIMEOUT', '', 5);
    m.setQueue('wasm', 3, 2);
    server = await startMetricsServer(m, '127.0.0.1:0', silentLogger);
    expect(server.port).toBeGreaterThan(0);

    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(body).toContain('agent_tasks_received_total{agent="math",runtime="wasm"} 2');
    expect(body).toContain('agent_tasks_completed_total{agent="math",runtime="wasm"} 1');
    expect(body).toContain('agent_tasks_failed_total{agent="math",runtime="wasm",error="AGENT_ERROR"} 1');
    expect(body).toContain('agent_tasks_failed_total{agent="math",runtime="wasm",error="TIMEOUT"} 1');
    expect(body).toContain('agent_task_duration_seconds_count{agent="math",runtime="wasm"} 3');
    expect(body).toMatch(/agent_task_duration_seconds_bucket\{le="0\.005",agent="math",runtime="wasm"\} 2/);
    expect(body).toContain('ari_queue_depth{runtime="wasm"} 3');
    expect(body).toContain('ari_running_tasks{runtime="wasm"} 2');
    expect(body).toContain('process_cpu_user_seconds_total');
    expect(body).toContain('nodejs_heap_size_used_bytes');
  });

  it('answers 404 to anything but GET /metrics', async () => {
    server = await startMetricsServer(new Metrics({ defaultMetrics: false }), '127.0.0.1:0', silentLogger);
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metricsx`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`${base}/metrics?x=1`)).status).toBe(200);
  });

  it('keeps registries apart, so two daemons in one process do not collide', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.received('x', 'wasm');
    expect(await a.text()).toContain('agent_tasks_received_total{agent="x",runtime="wasm"} 1');
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
