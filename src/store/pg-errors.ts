// Which PostgreSQL failures mean "the store is unreachable" (retry later) rather than a bug or a bad request.
import { DomainError } from '../core/domain-error.js';

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export function isOutage(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (err?.code && NETWORK.has(err.code)) return true;
  // SQLSTATE classes 08 (connection), 57P (shutdown, cannot connect now), 53300 (too many connections).
  if (err?.code && (/^08/.test(err.code) || /^57P0[1-4]$/.test(err.code) || err.code === '53300')) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(err?.message ?? '');
}

/** The refusal a client sees while the store is down: retryable, saying what is wrong. */
export function storeUnavailable(where: string, e: unknown): DomainError {
  return new DomainError('UNAVAILABLE', `the task store (PostgreSQL ${where}) is unreachable: ${(e as Error).message || String(e)}; nothing was recorded, retry later`);
}
