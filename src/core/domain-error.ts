// Errors for requests that never became a task; the server maps each kind to one gRPC status.

export type DomainErrorKind =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'FAILED_PRECONDITION';

export class DomainError extends Error {
  constructor(readonly kind: DomainErrorKind, message: string) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (m: string) => new DomainError('INVALID_ARGUMENT', m);
export const notFound = (m: string) => new DomainError('NOT_FOUND', m);
