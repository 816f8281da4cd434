// The tracer interfaces and settings shape, apart from tracing.ts: the lazily loaded SDK implements them without
// importing the module that loads it (no import cycle).
import type { TaskRecord } from '../core/task-record.js';

export interface TraceHeaders { traceparent?: string; tracestate?: string }

export interface TracingSettings {
  enabled: boolean;
  /** Full traces URL when the config names one; else the exporter reads OTEL_EXPORTER_OTLP_* itself. */
  url?: string;
  serviceName: string;
  /** Why tracing is on or off, for the start-up log. */
  why: string;
}

/** The task span: child of the caller's span, phases as events, outcome as attributes. */
export interface TaskTracer {
  received(r: TaskRecord, trace: TraceHeaders): void;
  /** Returns the task span's traceparent, handed to the agent as TRACEPARENT. */
  started(r: TaskRecord): string | undefined;
  finished(r: TaskRecord): void;
}

/** One span per RPC; `headers` are what the handler should see (the RPC span as parent). */
export interface RpcSpan { headers: TraceHeaders; end(code: number, codeName: string, message?: string): void }
export interface RpcTracer { start(method: string, incoming: TraceHeaders): RpcSpan }

export interface Tracing {
  tasks: TaskTracer;
  rpc: RpcTracer;
  /** Flushes pending spans, then stops the exporter. */
  shutdown(): Promise<void>;
}
