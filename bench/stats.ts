// Latency statistics and a closed-loop driver shared by the benchmarks.

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export interface LoadResult {
  p50Ms: number;
  p99Ms: number;
  throughput: number;
  count: number;
}

/** Runs `total` calls with `inFlight` concurrent callers; returns latency percentiles and calls/s. */
export async function closedLoop(call: () => Promise<unknown>, total: number, inFlight: number): Promise<LoadResult> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < total) {
      next++;
      const s = performance.now();
      await call();
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), throughput: total / secs, count: total };
}

export const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
