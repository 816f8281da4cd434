// The one place domain errors become gRPC status codes.
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { ConfigError } from '../config/config-reader.js';
import { DomainError, type DomainErrorKind } from '../core/domain-error.js';
import { wellFormed } from './safe-status.js';

const CODES: Record<DomainErrorKind, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
};

// Details are made well-formed here, the one place statuses are built, so a message quoting half an emoji
// cannot make grpc-js throw while sending it.
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof DomainError) return { code: CODES[err.kind], details: wellFormed(err.message), metadata: new Metadata() };
  if (err instanceof ConfigError) return { code: status.INVALID_ARGUMENT, details: wellFormed(err.message), metadata: new Metadata() };
  // Anything else is our bug: say so without leaking internals beyond the message.
  return { code: status.INTERNAL, details: wellFormed(`internal error: ${(err as Error)?.message ?? String(err)}`), metadata: new Metadata() };
}
