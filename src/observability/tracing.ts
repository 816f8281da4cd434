// Tracing settings ([tracing] + OTEL_* env) and the tracer interfaces; the OpenTelemetry SDK and exporter
// are imported only when tracing is on, so a daemon without it never loads them.
import type { Logger } from './logger.js';
import type { Tracing, TracingSettings } from './tracing-types.js';

export type { RpcSpan, RpcTracer, TaskTracer, TraceHeaders, Tracing, TracingSettings } from './tracing-types.js';

export interface TracingConfig {
  /** OTLP/HTTP base URL (like OTEL_EXPORTER_OTLP_ENDPOINT: /v1/traces is appended) or a full .../v1/traces URL. */
  endpoint?: string;
  serviceName?: string;
}

/** Setting an endpoint, in the config or the standard env vars, turns tracing on; OTEL_SDK_DISABLED wins. */
export function tracingSettings(cfg: TracingConfig | undefined, env: NodeJS.ProcessEnv = process.env): TracingSettings {
  const serviceName = env.OTEL_SERVICE_NAME || cfg?.serviceName || 'ari';
  const off = (why: string): TracingSettings => ({ enabled: false, serviceName, why });
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return off('OTEL_SDK_DISABLED=true');
  if (env.OTEL_TRACES_EXPORTER?.toLowerCase() === 'none') return off('OTEL_TRACES_EXPORTER=none');
  if (cfg?.endpoint) {
    const base = cfg.endpoint.replace(/\/+$/, '');
    return { enabled: true, url: /\/v1\/traces$/.test(base) ? base : `${base}/v1/traces`, serviceName, why: '[tracing] endpoint' };
  }
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return { enabled: true, serviceName, why: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' };
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return { enabled: true, serviceName, why: 'OTEL_EXPORTER_OTLP_ENDPOINT' };
  return off('no [tracing] endpoint and no OTEL_EXPORTER_OTLP_ENDPOINT');
}

export async function startTracing(s: TracingSettings, meta: { version: string; instanceId: string; logger: Logger }): Promise<Tracing | null> {
  if (!s.enabled) return null;
  const { createTracing } = await import('./tracing-sdk.js');
  const t = await createTracing(s, meta);
  meta.logger.info({ endpoint: s.url ?? process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT, service_name: s.serviceName, why: s.why }, 'tracing on (OTLP/HTTP)');
  return t;
}
