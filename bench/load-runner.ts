export interface LoadResult<S> {
  samples: S[];
  wallMs: number;
  throughputPerSec: number;
}

/**
 * Closed loop: `concurrency` slots, each starting the next operation as soon as its previous one finished, so the
 * system is never offered more than `concurrency` commands in flight and throughput is what it can sustain.
 * The first failure aborts the run: a benchmark with silently dropped operations would flatter the result.
 */
export async function runClosedLoop<S>(count: number, concurrency: number, operation: (index: number) => Promise<S>): Promise<LoadResult<S>> {
  const samples: S[] = [];
  let next = 0;
  let failed = false;
  const started = performance.now();
  const slot = async () => {
    while (next < count && !failed) {
      const index = next++;
      try {
        samples.push(await operation(index));
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, slot));
  const wallMs = performance.now() - started;
  return { samples, wallMs, throughputPerSec: (samples.length / wallMs) * 1000 };
}
