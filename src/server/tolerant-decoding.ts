// Undecodable request bytes become INVALID_ARGUMENT: grpc-js itself would answer INTERNAL, blaming the daemon.
import * as grpc from '@grpc/grpc-js';
import { invalid } from '../core/domain-error.js';

/** What a request that is not valid protobuf decodes to; the interceptor below answers it. */
export class MalformedRequest {
  constructor(readonly path: string, readonly reason: string) {}
}

/** The same service with request deserializers that never throw. */
export function tolerantService(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service)) {
    const decode = method.requestDeserialize;
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (e) {
          return new MalformedRequest(method.path, (e as Error).message);
        }
      },
    };
  }
  return out;
}

/** Checked by the handlers (an interceptor would cost every call): undecodable bytes → INVALID_ARGUMENT. */
export function rejectMalformed(request: unknown): void {
  if (request instanceof MalformedRequest) {
    throw invalid(`${request.path}: the request is not a valid protobuf message (${request.reason})`);
  }
}
