// The OpenTelemetry side of tracing: provider, OTLP/HTTP exporter, W3C propagation, task and RPC spans.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TaskRecord } from '../core/task-record.js';
import type { Logger } from './logger.js';
import type { RpcTracer, TaskTracer, TraceHeaders, Tracing, TracingSettings } from './tracing-types.js';

const propagator = new W3CTraceContextPropagator();
const getter: TextMapGetter<TraceHeaders> = {
  keys: (c) => Object.keys(c),
  get: (c, k) => (k === 'traceparent' ? c.traceparent : k === 'tracestate' ? c.tracestate : undefined),
};

function parentOf(h: TraceHeaders): Context {
  return h.traceparent ? propagator.extract(ROOT_CONTEXT, h, getter) : ROOT_CONTEXT;
}

function headersOf(span: Span): TraceHeaders {
  const out: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), out, { set: (c, k, v) => { c[k] = v; } });
  return { traceparent: out.traceparent, tracestate: out.tracestate };
}

function taskTracer(tracer: ReturnType<BasicTracerProvider['getTracer']>): TaskTracer {
  const spans = new Map<string, Span>();
  return {
    received(r, h) {
      const span = tracer.startSpan(`ari.task ${r.agentId}/${r.capability}`, {
        kind: SpanKind.INTERNAL, startTime: r.createdAt,
        attributes: { 'ari.task.id': r.taskId, 'ari.agent.id': r.agentId, 'ari.capability': r.capability, 'ari.runtime': r.runtime },
      }, parentOf(h));
      span.addEvent('admitted', r.createdAt);
      span.addEvent('queued', r.createdAt);
      spans.set(r.taskId, span);
    },
    started(r) {
      const span = spans.get(r.taskId);
      if (!span) return undefined;
      span.addEvent('running');
      return headersOf(span).traceparent;
    },
    finished(r) {
      const span = spans.get(r.taskId);
      if (!span) return;
      spans.delete(r.taskId);
      const res = r.result;
      const u = res?.usage;
      span.setAttributes({
        'ari.task.status': r.status,
        ...(res?.error ? { 'ari.error.code': res.error.code, 'ari.error.message': res.error.message.slice(0, 500) } : {}),
        ...(u ? {
          'ari.usage.wall_ms': u.wallMs, 'ari.usage.cpu_ms': u.cpuMs, 'ari.usage.peak_memory_bytes': u.peakMemoryBytes,
          'ari.usage.fuel_consumed': u.fuelConsumed, 'ari.usage.exit_code': u.exitCode, 'ari.usage.output_bytes': u.outputBytes,
          ...(u.signal ? { 'ari.usage.signal': u.signal } : {}),
        } : {}),
      });
      span.addEvent('terminal', { 'ari.task.status': r.status }, r.finishedAt);
      if (r.status !== 'COMPLETED') span.setStatus({ code: SpanStatusCode.ERROR, message: res?.error?.code ?? r.status });
      span.end(r.finishedAt);
    },
  };
}

function rpcTracer(tracer: ReturnType<BasicTracerProvider['getTracer']>): RpcTracer {
  return {
    start(method, incoming) {
      // "/ari.v1.AgentRuntime/ExecuteTask" → rpc.service ari.v1.AgentRuntime, rpc.method ExecuteTask
      const [, service = '', name = method] = /^\/([^/]+)\/(.+)$/.exec(method) ?? [];
      const span = tracer.startSpan(`${service}/${name}`, {
        kind: SpanKind.SERVER,
        attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': name },
      }, parentOf(incoming));
      return {
        headers: headersOf(span),
        end(code, codeName, message) {
          span.setAttribute('rpc.grpc.status_code', code);
          if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: message ? `${codeName}: ${message}` : codeName });
          span.end();
        },
      };
    },
  };
}

export async function createTracing(s: TracingSettings, meta: { version: string; instanceId: string; logger: Logger }): Promise<Tracing> {
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: s.serviceName, [ATTR_SERVICE_VERSION]: meta.version, 'service.instance.id': meta.instanceId,
  }).merge(detectResources({ detectors: [envDetector] }));
  const exporter = new OTLPTraceExporter(s.url ? { url: s.url } : {});
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer('ari', meta.version);
  return {
    tasks: taskTracer(tracer),
    rpc: rpcTracer(tracer),
    shutdown: async () => {
      try {
        await provider.shutdown();
      } catch (err) {
        meta.logger.warn({ err }, 'tracing: could not flush spans at shutdown');
      }
    },
  };
}
