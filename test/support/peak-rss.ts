/** Peak RSS growth of this process while `run` is in flight, sampled every few milliseconds, and how long it took. */
export async function peakRssGrowth<T>(run: () => Promise<T>): Promise<{ result: T; growth: number; ms: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  const started = performance.now();
  try {
    const result = await run();
    const ms = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growth: peak - before, ms };
  } finally {
    clearInterval(sampler);
  }
}
