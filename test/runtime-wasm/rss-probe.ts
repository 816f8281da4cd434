// Samples this process's RSS while a promise runs (workers are threads of this process, so their memory counts).

export interface RssGrowth { peakMiB: number; afterMiB: number }

export async function rssGrowth<T>(work: () => Promise<T>, settleMs = 300): Promise<{ value: T } & RssGrowth> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  try {
    const value = await work();
    await new Promise((r) => setTimeout(r, settleMs));
    const after = process.memoryUsage().rss;
    peak = Math.max(peak, after);
    return { value, peakMiB: (peak - base) / 2 ** 20, afterMiB: (after - base) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}
