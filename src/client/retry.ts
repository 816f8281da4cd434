// Retries of calls refused with UNAVAILABLE (a replica gone, the task store down): safe because task ids are idempotent.
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 disables retries. */
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, initialBackoffMs: 100, maxBackoffMs: 2_000 };

export async function withRetry<T>(policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  let backoff = policy.initialBackoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if ((e as { code?: string }).code !== 'UNAVAILABLE' || attempt >= policy.attempts) throw e;
      // Jitter: many clients retrying in step would hit the surviving replicas together.
      await new Promise((r) => setTimeout(r, backoff * (0.5 + Math.random() / 2)));
      backoff = Math.min(policy.maxBackoffMs, backoff * 2);
    }
  }
}
