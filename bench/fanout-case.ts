import type { BenchSettings } from './bench-settings.js';
import type { CleanupStack } from './cleanup-stack.js';
import { FanoutClients } from './fanout-clients.js';
import { runClosedLoop } from './load-runner.js';
import { TENANT } from './nexus-target.js';
import { summarize, type LatencySummary } from './percentiles.js';
import { openFilesLimit } from './process-memory.js';
import { startProcessTarget } from './process-target.js';
import { withTimeout } from './with-timeout.js';

export interface FanoutResult {
  clients: number;
  commands: number;
  /** Reports the commands appended to the tenant's stream; every client must receive each one. */
  reports: number;
  deliveries: number;
  /** Receipt at a client − the ms Redis appended the report (its stream id), over every delivery. */
  delivery_delay: LatencySummary;
  /** API CPU from the first POST until every client had every report, over deliveries (POST handling included). */
  api_cpu_us_per_delivery: number;
  /** The same for the bench process (the clients' side): on a small machine it competes with the API for CPU. */
  bench_cpu_us_per_delivery: number;
  /** Growth of the API's RSS from opening the clients, per client. */
  api_rss_kb_per_client: number;
  api_rss_kb: { before_clients: number; clients_live: number };
  /** How long opening every client took, batch by batch. */
  open_ms: number;
}

const OPEN_BATCH = 200;
const OPEN_BATCH_TIMEOUT_MS = 30_000;
/** Commands in flight: enough to overlap reports of several commands, few enough that delivery, not Temporal, is measured. */
const COMMAND_CONCURRENCY = 4;
/** Commands before the clients open, so the API's report path is warm (JIT, Redis reader) when delivery is timed. */
const WARMUP_COMMANDS = 2;
const LIVE_TIMEOUT_MS = 30_000;
const DELIVERY_TIMEOUT_MS = 60_000;
/** Open files besides the clients' sockets: Redis, RabbitMQ, Temporal, the runtime's own. */
const FD_HEADROOM = 256;

/** Fails before the run starts, not after the long NEXUS case, when `ulimit -n` cannot hold the clients' sockets. */
export function assertFanoutFits(fanout: BenchSettings['fanout']): void {
  const limit = openFilesLimit();
  const needed = fanout.clients + FD_HEADROOM;
  if (fanout.clients > 0 && limit < needed) {
    throw new Error(`BENCH_FANOUT_CLIENTS=${fanout.clients} needs about ${needed} open files in the bench and the API process each, ` +
      `but ulimit -n is ${limit}: raise it (ulimit -n ${Math.max(65_536, needed)}) or lower BENCH_FANOUT_CLIENTS`);
  }
}

/**
 * The SSE fan-out case: one API, worker and bridge as processes of their own (so the API's CPU and memory are its
 * alone), N dashboards of one tenant on it, then M GREEN commands; every client must receive every report. The
 * bench's own stream (the one commands are awaited on) says which reports were appended and when all are stored.
 */
export async function runFanoutCase(
  env: Record<string, string>,
  fanout: BenchSettings['fanout'],
  idPrefix: string,
  cleanups: CleanupStack,
  progress: (message: string) => void,
): Promise<FanoutResult> {
  // Every client is the same local-mode principal; the per-principal cap (20 by default) would refuse the 21st.
  const limits = { NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL: String(fanout.clients + 10) };
  progress('fan-out: starting NEXUS as processes: 1 API, 1 worker, 1 bridge');
  const target = await startProcessTarget({ ...env, ...limits }, { apis: 1, workers: 1, bridges: 1 }, progress);
  const stopTarget = cleanups.push('fan-out nexus', () => target.stop());
  await withTimeout(target.stream.live, LIVE_TIMEOUT_MS, () => `the bench stream was not live within ${LIVE_TIMEOUT_MS} ms`);
  await runClosedLoop(WARMUP_COMMANDS, 1, (i) => target.run(`${idPrefix}-warmup-${i}`, i));

  // Resumed after the last report so far: earlier cases' history is not replayed to every client.
  const clients = new FanoutClients(new URL('/agent/reports/stream', target.baseUrls[0]), TENANT, target.stream.lastReportId);
  const closeClients = cleanups.push('fan-out clients', async () => clients.close());
  const rssBefore = target.rssKb().api;
  progress(`fan-out: opening ${fanout.clients} SSE clients, ${OPEN_BATCH} at a time`);
  const openStarted = performance.now();
  await clients.open(fanout.clients, OPEN_BATCH, OPEN_BATCH_TIMEOUT_MS, progress);
  const openMs = performance.now() - openStarted;
  const rssLive = target.rssKb().api;

  progress(`fan-out: ${fanout.commands} commands at concurrency ${COMMAND_CONCURRENCY} to ${fanout.clients} clients`);
  const reportsBefore = target.stream.reportCount;
  const cpuBefore = target.cpu().api;
  const benchCpuBefore = process.cpuUsage();
  await runClosedLoop(fanout.commands, COMMAND_CONCURRENCY, (i) => target.run(`${idPrefix}-${i}`, i));
  // Every task_completed is on the bench stream now, and a command's terminal report is its last: so the stream's
  // last id is the last report appended, and its count since the clients opened is how many each must receive.
  const reports = target.stream.reportCount - reportsBefore;
  await clients.received(target.stream.lastReportId, reports, DELIVERY_TIMEOUT_MS);
  const cpuSpent = target.cpu().api - cpuBefore;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  await closeClients();
  await stopTarget();

  const deliveries = reports * fanout.clients;
  return {
    clients: fanout.clients,
    commands: fanout.commands,
    reports,
    deliveries,
    delivery_delay: summarize(clients.delays),
    api_cpu_us_per_delivery: (cpuSpent * 1e6) / deliveries,
    bench_cpu_us_per_delivery: (benchCpu.user + benchCpu.system) / deliveries,
    api_rss_kb_per_client: (rssLive - rssBefore) / fanout.clients,
    api_rss_kb: { before_clients: rssBefore, clients_live: rssLive },
    open_ms: openMs,
  };
}
