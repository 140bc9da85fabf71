export interface BenchSettings {
  commands: number;
  /** Each level is measured in turn, NEXUS and the baseline alike: latency at 1, throughput under load. */
  concurrencies: number[];
  warmup: number;
  timeoutMs: number;
  resultsFile: string;
  /** Role processes for the multi-process mode; undefined: every role in the bench's own process. */
  processes: { apis: number; workers: number; bridges: number } | undefined;
  /** The SSE fan-out case: `clients` dashboards on one tenant see `commands` commands' reports; 0 clients skips it. */
  fanout: { clients: number; commands: number };
  /** The relay case: sealed reports put on the queue, then drained by one bridge process; 0 skips it. */
  bridgeReports: number;
}

/** Reads the BENCH_* variables; a bad value stops the run with one line naming the variable. */
export function readBenchSettings(env: Record<string, string | undefined> = process.env): BenchSettings {
  return {
    commands: positiveInt(env, 'BENCH_COMMANDS', 500),
    concurrencies: positiveIntList(env, 'BENCH_CONCURRENCY', [1, 16]),
    warmup: positiveInt(env, 'BENCH_WARMUP', 20, 0),
    timeoutMs: positiveInt(env, 'BENCH_TIMEOUT_S', 600) * 1000,
    // test-artifacts/ is gitignored, so a run never dirties the working tree.
    resultsFile: env.BENCH_RESULTS_FILE ?? 'test-artifacts/bench-results.json',
    // BENCH_APIS / BENCH_WORKERS: NEXUS as deployed, each role its own processes (one bridge: the others only stand by).
    processes: env.BENCH_APIS || env.BENCH_WORKERS
      ? { apis: positiveInt(env, 'BENCH_APIS', 1), workers: positiveInt(env, 'BENCH_WORKERS', 1), bridges: positiveInt(env, 'BENCH_BRIDGES', 1) }
      : undefined,
    fanout: { clients: positiveInt(env, 'BENCH_FANOUT_CLIENTS', 1000, 0), commands: positiveInt(env, 'BENCH_FANOUT_COMMANDS', 20) },
    bridgeReports: positiveInt(env, 'BENCH_BRIDGE_REPORTS', 20_000, 0),
  };
}

/** One integer or a comma-separated list of them, each at least 1, without repeats. */
function positiveIntList(env: Record<string, string | undefined>, name: string, fallback: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1) || new Set(values).size !== values.length) {
    throw new Error(`${name}=${raw} is invalid: must be integers >= 1, comma-separated, each once`);
  }
  return values;
}

function positiveInt(env: Record<string, string | undefined>, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} is invalid: must be an integer >= ${min}`);
  return value;
}
