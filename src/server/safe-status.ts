// Keeps every status message sendable: grpc-js percent-encodes details with encodeURI, which throws on a lone
// UTF-16 surrogate (e.g. a JSON.parse error quoting half of a client's emoji) and would crash the daemon.
import * as grpc from '@grpc/grpc-js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

export function safeStatusInterceptor(): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => next({ ...status, details: wellFormed(status.details ?? '') }),
    });
}
