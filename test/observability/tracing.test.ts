// Tracing end to end: one ExecuteTask sent with a W3C traceparent reaches a real OTLP/HTTP receiver as an RPC
// span and a task span in the caller's trace; with tracing off the SDK and exporter are never loaded.
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAri } from '../../src/server/proto.js';
import { tracingSettings } from '../../src/observability/tracing.js';
import { startTestDaemon, type TestDaemon } from '../helpers/test-daemon.js';
import { startOtlpReceiver } from './otlp-receiver.js';
import { loadedModules } from './module-trace.js';

const MATH = `[[agents]]\nid = "math"\nruntime = "wasm"\nmodule = "{{FIXTURES}}/math/math.wasm"\nmanifest = "{{FIXTURES}}/math/manifest.json"\n`;

function execute(address: string, md: grpc.Metadata, taskId: string): Promise<{ status: string }> {
  const { Client } = loadAri();
  const client = new Client(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;
  return new Promise((resolve, reject) => {
    client.ExecuteTask!({ task_id: taskId, agent_id: 'math', capability: 'arithmetic', input: Buffer.from('{"operation":"add","operands":[1,2]}') }, md,
      (err: Error | null, res: { status: string }) => { client.close(); if (err) reject(err); else resolve(res); });
  });
}

let d: TestDaemon | undefined;
afterAll(async () => { await d?.stop(); });

describe('tracing', () => {
  it('exports the RPC span and the task span as children of the caller\'s traceparent', async () => {
    const receiver = await startOtlpReceiver();
    try {
      d = await startTestDaemon(`${MATH}\n[tracing]\nendpoint = "${receiver.url}"\nservice_name = "ari-under-test"\n`);
      const traceId = randomBytes(16).toString('hex');
      const callerSpan = randomBytes(8).toString('hex');
      const md = new grpc.Metadata();
      md.set('traceparent', `00-${traceId}-${callerSpan}-01`);
      md.set('tracestate', 'vendor=x');
      const taskId = `traced-${randomBytes(4).toString('hex')}`;
      expect((await execute(d.handle.address, md, taskId)).status).toBe('COMPLETED');
      await d.stop(); // flushes the batch processor
      d = undefined;

      expect(receiver.contentTypes[0]).toMatch(/application\/json/);
      const task = receiver.spans.find((s) => s.attributes['ari.task.id'] === taskId);
      expect(task, `spans received: ${receiver.spans.map((s) => s.name).join(', ')}`).toBeDefined();
      expect(task!.traceId).toBe(traceId);
      expect(task!.attributes).toMatchObject({
        'ari.agent.id': 'math', 'ari.capability': 'arithmetic', 'ari.runtime': 'wasm', 'ari.task.status': 'COMPLETED',
      });
      expect(task!.attributes['ari.usage.wall_ms']).toEqual(expect.any(Number));
      expect(task!.events.map((e) => e.name)).toEqual(['admitted', 'queued', 'running', 'terminal']);
      expect(task!.resource['service.name']).toBe('ari-under-test');
      const rpc = receiver.spans.find((s) => s.name === 'ari.v1.AgentRuntime/ExecuteTask');
      expect(rpc).toBeDefined();
      expect(rpc!.traceId).toBe(traceId);
      expect(rpc!.parentSpanId).toBe(callerSpan);
      expect(task!.parentSpanId).toBe(rpc!.spanId);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('is on when an endpoint is set in the config or the standard OTEL_* env, off otherwise', () => {
    expect(tracingSettings(undefined, {}).enabled).toBe(false);
    expect(tracingSettings({ endpoint: 'http://c:4318' }, {})).toMatchObject({ enabled: true, url: 'http://c:4318/v1/traces' });
    expect(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled).toBe(true);
    expect(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).enabled).toBe(true);
    expect(tracingSettings({ endpoint: 'http://c:4318' }, { OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(tracingSettings(undefined, { OTEL_SERVICE_NAME: 'svc' }).serviceName).toBe('svc');
  });

  it('with tracing off, a serving daemon never loads the OpenTelemetry SDK or exporter', async () => {
    const off = await loadedModules(MATH, {});
    expect(off.some((u) => u.includes('/observability/tracing.ts'))).toBe(true); // the recorder saw our modules
    expect(off.filter((u) => /@opentelemetry\/(sdk-trace|exporter|otlp|resources)/.test(u))).toEqual([]);
    const on = await loadedModules(MATH, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(on.some((u) => u.includes('@opentelemetry/exporter-trace-otlp-http'))).toBe(true);
  }, 120_000);
});
