import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { pino } from 'pino';
import { createLogger } from '../infra/logger.js';
import { installTemporalLogger } from '../infra/temporal-logger.js';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../runtime/worker/start-worker.js';
import { BASELINE_WORKFLOWS_PATH, startBaselineTarget } from './baseline-target.js';
import { benchEnv, cleanupBenchEnv } from './bench-env.js';
import { buildResults, formatTable, writeResults, type LevelRun } from './bench-report.js';
import { readBenchSettings } from './bench-settings.js';
import { ensureBenchTemporal } from './bench-temporal.js';
import { CleanupStack } from './cleanup-stack.js';
import { withCpuCost, type CpuSpent } from './cpu-cost.js';
import { runBridgeCase } from './bridge-case.js';
import { assertFanoutFits, runFanoutCase } from './fanout-case.js';
import { runClosedLoop, type LoadResult } from './load-runner.js';
import { startNexusTarget, type NexusTarget } from './nexus-target.js';
import { startProcessTarget, type ProcessTarget } from './process-target.js';
import { ServiceCpuMeter } from './service-cpu.js';

const QUIET = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

/**
 * `npm run bench`: GREEN echo through NEXUS (HTTP in, SSE out) against the same echo as a bare Temporal
 * workflow, same count, at each concurrency level in turn, in one run. The baseline goes first, on the fresher
 * server, so any drift during the run counts against NEXUS rather than for it. Then, unless set to 0, the SSE
 * fan-out case and the relay case. Progress and logs go to stderr; stdout is the table.
 */
async function main(cleanups: CleanupStack): Promise<void> {
  const settings = readBenchSettings();
  assertFanoutFits(settings.fanout);
  // Logs to stderr at warn: anything that shows up during a benchmark is worth seeing, and stdout stays the table.
  const logger = createLogger('warn', pino.destination(2));
  installTemporalLogger(logger);
  const runId = randomUUID().slice(0, 8);

  progress('connecting to Temporal (or starting an ephemeral dev server)');
  const temporal = await ensureBenchTemporal(logger);
  cleanups.push('temporal', () => temporal.stop());
  const services = new ServiceCpuMeter(Number(temporal.address.split(':').at(-1)));
  if (![...services.snapshot().values()].some((p) => p.service === 'temporal')) {
    progress(`no Temporal dev server process listens on ${temporal.address} on this machine: its CPU will not be counted`);
  }
  const env = benchEnv(temporal.address);
  cleanups.push('redis keys and amqp topology', () => cleanupBenchEnv(env));

  progress('bundling workflows');
  const [nexusBundle, baselineBundle] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger: QUIET }),
    bundleWorkflowCode({ workflowsPath: BASELINE_WORKFLOWS_PATH, logger: QUIET }),
  ]);

  const baseline = await startBaselineTarget(temporal.address, `${env.TEMPORAL_TASK_QUEUE}-baseline`, baselineBundle);
  const stopBaseline = cleanups.push('baseline worker', () => baseline.stop());
  const baselineRuns = new Map<number, { load: LoadResult<number>; cpu: CpuSpent }>();
  for (const c of settings.concurrencies) {
    progress(`baseline: warm-up ${settings.warmup}, then ${settings.commands} workflows at concurrency ${c}`);
    await runClosedLoop(settings.warmup, c, (i) => baseline.run(`bench-${runId}-baseline-c${c}-warmup-${i}`, i));
    const measured = await withCpuCost(services, undefined, () => runClosedLoop(settings.commands, c, (i) => baseline.run(`bench-${runId}-baseline-c${c}-${i}`, i)));
    baselineRuns.set(c, { load: measured.result, cpu: measured.cpu });
  }
  await stopBaseline();

  const processes = settings.processes;
  progress(processes ? `starting NEXUS as processes: ${processes.apis} API, ${processes.workers} worker, ${processes.bridges} bridge` : 'starting NEXUS (api, worker, bridge in this process)');
  const nexus: NexusTarget & Partial<Pick<ProcessTarget, 'cpu'>> = processes
    ? await startProcessTarget(env, processes, progress)
    : await startNexusTarget(env, logger, nexusBundle);
  const stopNexus = cleanups.push('nexus', () => nexus.stop());
  const runs: LevelRun[] = [];
  for (const c of settings.concurrencies) {
    progress(`NEXUS: warm-up ${settings.warmup}, then ${settings.commands} commands at concurrency ${c}`);
    await runClosedLoop(settings.warmup, c, (i) => nexus.run(`bench-${runId}-c${c}-warmup-${i}`, i));
    const measured = await withCpuCost(services, nexus.cpu, () => runClosedLoop(settings.commands, c, (i) => nexus.run(`bench-${runId}-c${c}-${i}`, i)));
    const baselineRun = baselineRuns.get(c);
    if (!baselineRun) throw new Error(`no baseline was measured at concurrency ${c}`);
    runs.push({ concurrency: c, nexus: measured.result, baseline: baselineRun.load, cpu: { nexus: measured.cpu, baseline: baselineRun.cpu } });
  }
  await stopNexus();

  // After the NEXUS case, on the same Temporal and environment: its own processes, so nothing else shares the API.
  const fanout = settings.fanout.clients > 0
    ? await runFanoutCase(env, settings.fanout, `bench-${runId}-fanout`, cleanups, progress)
    : undefined;

  // Last: it fills the queue before any bridge runs, so nothing else may be consuming it.
  const bridge = settings.bridgeReports > 0 ? await runBridgeCase(env, settings.bridgeReports, cleanups, progress) : undefined;

  const results = buildResults(settings, { kind: temporal.kind, address: temporal.address }, runs, fanout, bridge);
  process.stdout.write(formatTable(results));
  writeResults(settings.resultsFile, results);
  progress(`results written to ${settings.resultsFile}`);
}

function run(): void {
  const cleanups = new CleanupStack();
  let timeoutS = 600;
  try {
    timeoutS = readBenchSettings().timeoutMs / 1000;
  } catch {
    // main() reports the bad setting with its own message
  }
  // The first outcome wins: a run that times out and then fails because its clients were closed exits once.
  let finishing: Promise<void> | undefined;
  const finish = (code: number): Promise<void> =>
    (finishing ??= cleanups.runAll().then((cleaned) => process.exit(code === 0 && !cleaned ? 1 : code)));
  const abort = (why: string, code: number) => {
    clearTimeout(deadline);
    // Once cleanup has begun, what fails next is its consequence (closed clients), not news.
    if (finishing) return;
    progress(`${why}; cleaning up`);
    void finish(code);
  };
  const deadline = setTimeout(() => abort(`gave up: the run did not finish within ${timeoutS}s (BENCH_TIMEOUT_S)`, 2), timeoutS * 1000);
  // Without these an interrupted or crashed run would orphan the dev server and leave queues in RabbitMQ.
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  process.on('uncaughtException', (err) => abort(`crashed: ${err.message}`, 1));
  process.on('unhandledRejection', (err) => abort(`crashed: ${err instanceof Error ? err.message : String(err)}`, 1));

  main(cleanups).then(
    () => {
      clearTimeout(deadline);
      void finish(0);
    },
    (err: unknown) => abort(`failed: ${err instanceof Error ? err.message : String(err)}`, 1),
  );
}

run();
