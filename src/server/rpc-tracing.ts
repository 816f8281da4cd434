// A span per RPC (when tracing is on): the caller's traceparent/tracestate metadata is its parent, and the
// handler sees the RPC span's headers instead, so a task's span nests under the RPC that created it.
import * as grpc from '@grpc/grpc-js';
import type { RpcTracer } from '../observability/tracing.js';

const first = (md: grpc.Metadata, key: string) => {
  const v = md.get(key);
  return v.length ? v[0]!.toString() : undefined;
};

export function tracingInterceptor(tracer: RpcTracer): grpc.ServerInterceptor {
  return (method, call) => {
    let span: ReturnType<RpcTracer['start']> | undefined;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (md, mdNext) => {
            span = tracer.start(method.path, { traceparent: first(md, 'traceparent'), tracestate: first(md, 'tracestate') });
            md.remove('traceparent');
            md.remove('tracestate');
            if (span.headers.traceparent) md.set('traceparent', span.headers.traceparent);
            if (span.headers.tracestate) md.set('tracestate', span.headers.tracestate);
            mdNext(md);
          },
        });
      },
      sendStatus: (status, next) => {
        span?.end(status.code, grpc.status[status.code] ?? String(status.code), status.details);
        span = undefined;
        next(status);
      },
    });
  };
}

/** The W3C headers a handler passes on to the task (after the interceptor: the RPC span's). */
export function traceHeaders(md: grpc.Metadata): { traceparent?: string; tracestate?: string } {
  return { traceparent: first(md, 'traceparent'), tracestate: first(md, 'tracestate') };
}
