export interface BenchSettings {
  commands: number;
  concurrency: number;
  warmup: number;
  timeoutMs: number;
  resultsFile: string;
}

/** Reads the BENCH_* variables; a bad value stops the run with one line naming the variable. */
export function readBenchSettings(env: Record<string, string | undefined> = process.env): BenchSettings {
  return {
    commands: positiveInt(env, 'BENCH_COMMANDS', 500),
    concurrency: positiveInt(env, 'BENCH_CONCURRENCY', 32),
    warmup: positiveInt(env, 'BENCH_WARMUP', 20, 0),
    timeoutMs: positiveInt(env, 'BENCH_TIMEOUT_S', 600) * 1000,
    // test-artifacts/ is gitignored, so a run never dirties the working tree.
    resultsFile: env.BENCH_RESULTS_FILE ?? 'test-artifacts/bench-results.json',
  };
}

function positiveInt(env: Record<string, string | undefined>, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} is invalid: must be an integer >= ${min}`);
  return value;
}
