import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { BenchSettings } from './bench-settings.js';
import type { BridgeResult } from './bridge-case.js';
import type { CpuSpent } from './cpu-cost.js';
import type { FanoutResult } from './fanout-case.js';
import type { LoadResult } from './load-runner.js';
import type { NexusSample } from './nexus-target.js';
import { summarize, type LatencySummary } from './percentiles.js';

/** The milestones of a NEXUS command, in the order they happen, each timed from the POST. */
const STAGES: Array<{ key: Exclude<keyof NexusSample, 'latencyMs'>; label: string }> = [
  { key: 'accepted202', label: '202 received' },
  { key: 'firstWorkflowTask', label: 'first workflow task ran' },
  { key: 'firstReportStreamed', label: 'command_accepted on SSE' },
  { key: 'completedStamped', label: 'task_completed stamped' },
  { key: 'completedStored', label: 'task_completed in Redis' },
];

interface SideResult {
  latency: LatencySummary;
  throughput_per_s: number;
  wall_ms: number;
}

/** One concurrency level as measured: NEXUS and the baseline, and the CPU every process spent on each. */
export interface LevelRun {
  concurrency: number;
  nexus: LoadResult<NexusSample>;
  baseline: LoadResult<number>;
  cpu: { nexus: CpuSpent; baseline: CpuSpent };
}

interface LevelResult {
  concurrency: number;
  nexus: SideResult & { stages: Record<string, LatencySummary> };
  baseline: SideResult;
  /** NEXUS / baseline, every one: latency ratios above 1 are NEXUS slower, a throughput ratio above 1 NEXUS faster. */
  ratios: { p50: number; p95: number; p99: number; throughput: number };
  /**
   * CPU ms each process group spent per measured command (`total` is their sum): Temporal, RabbitMQ and Redis from
   * /proc, the bench process (in the default mode NEXUS's roles run in it), and each role in the multi-process mode.
   */
  cpu_ms_per_command: { nexus: Record<string, number>; baseline: Record<string, number> };
}

export interface BenchResults {
  finished_at: string;
  settings: Pick<BenchSettings, 'commands' | 'concurrencies' | 'warmup'>;
  machine: { cpus: number; node: string; platform: string };
  temporal: { kind: string; address: string };
  /** One entry per concurrency level (`BENCH_CONCURRENCY`), in the order measured. */
  levels: LevelResult[];
  /** The multi-process mode: how many of each role ran. */
  processes?: { apis: number; workers: number; bridges: number };
  /** The SSE fan-out case (BENCH_FANOUT_CLIENTS above 0): one tenant's reports to many dashboards on one API. */
  fanout?: FanoutResult;
  /** The relay case (BENCH_BRIDGE_REPORTS above 0): one bridge process draining a full reports queue into Redis. */
  bridge?: BridgeResult;
}

export function buildResults(
  settings: BenchSettings,
  temporal: { kind: string; address: string },
  runs: LevelRun[],
  fanout?: FanoutResult,
  bridge?: BridgeResult,
): BenchResults {
  return {
    finished_at: new Date().toISOString(),
    settings: { commands: settings.commands, concurrencies: settings.concurrencies, warmup: settings.warmup },
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    temporal,
    levels: runs.map(level),
    ...(settings.processes ? { processes: settings.processes } : {}),
    ...(fanout ? { fanout } : {}),
    ...(bridge ? { bridge } : {}),
  };
}

function level(run: LevelRun): LevelResult {
  const n = side(run.nexus.samples.map((s) => s.latencyMs), run.nexus);
  const b = side(run.baseline.samples, run.baseline);
  const defined = (xs: Array<number | undefined>) => xs.filter((x): x is number => x !== undefined);
  return {
    concurrency: run.concurrency,
    nexus: {
      ...n,
      stages: Object.fromEntries(STAGES.map(({ key }) => [key, summarize(defined(run.nexus.samples.map((s) => s[key])))])),
    },
    baseline: b,
    ratios: {
      p50: n.latency.p50_ms / b.latency.p50_ms,
      p95: n.latency.p95_ms / b.latency.p95_ms,
      p99: n.latency.p99_ms / b.latency.p99_ms,
      throughput: n.throughput_per_s / b.throughput_per_s,
    },
    cpu_ms_per_command: { nexus: perCommand(run.cpu.nexus, run.nexus.samples.length), baseline: perCommand(run.cpu.baseline, run.baseline.samples.length) },
  };
}

/** CPU seconds over a span as ms per command, largest first, with their `total`. */
function perCommand(spent: CpuSpent, commands: number): Record<string, number> {
  const ms = Object.entries(spent).map(([name, s]) => [name, (s * 1000) / commands] as const).sort((a, b) => b[1] - a[1]);
  return { ...Object.fromEntries(ms), total: ms.reduce((sum, [, v]) => sum + v, 0) };
}

function side(latencies: number[], load: LoadResult<unknown>): SideResult {
  return { latency: summarize(latencies), throughput_per_s: load.throughputPerSec, wall_ms: load.wallMs };
}

export function formatTable(r: BenchResults): string {
  const ms = (x: number) => x.toFixed(1);
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(34) : c.padStart(11))).join('');
  const lines = [
    `GREEN echo, ${r.settings.commands} commands per concurrency level (warm-up ${r.settings.warmup} each, not counted)`,
    `Temporal: ${r.temporal.kind} server at ${r.temporal.address}; ${r.machine.cpus} CPUs, Node ${r.machine.node}`,
  ];
  if (r.processes) lines.push(`Processes: ${r.processes.apis} API, ${r.processes.workers} worker, ${r.processes.bridges} bridge`);
  for (const l of r.levels) {
    lines.push(
      '',
      `Concurrency ${l.concurrency}:`,
      row(['', 'p50 ms', 'p95 ms', 'p99 ms', 'cmd/s']),
      row(['NEXUS (POST → SSE completed)', ms(l.nexus.latency.p50_ms), ms(l.nexus.latency.p95_ms), ms(l.nexus.latency.p99_ms), l.nexus.throughput_per_s.toFixed(1)]),
      row(['Baseline (workflow.execute)', ms(l.baseline.latency.p50_ms), ms(l.baseline.latency.p95_ms), ms(l.baseline.latency.p99_ms), l.baseline.throughput_per_s.toFixed(1)]),
      row(['Ratio NEXUS / baseline', ...[l.ratios.p50, l.ratios.p95, l.ratios.p99, l.ratios.throughput].map((x) => `${x.toFixed(2)}x`)]),
      'Where NEXUS latency goes (ms after the POST; each column on its own, so they need not add up):',
    );
    for (const { key, label } of STAGES) {
      const s = l.nexus.stages[key];
      if (s) lines.push(row([`  ${label}`, ms(s.p50_ms), ms(s.p95_ms), ms(s.p99_ms), '']));
    }
    lines.push(row(['  task_completed on SSE', ms(l.nexus.latency.p50_ms), ms(l.nexus.latency.p95_ms), ms(l.nexus.latency.p99_ms), '']));
    const cpu = (spent: Record<string, number>) => {
      const { total = 0, ...parts } = spent;
      return `${total.toFixed(1)} (${Object.entries(parts).map(([name, v]) => `${name} ${v.toFixed(1)}`).join(', ')})`;
    };
    lines.push(`CPU ms per command, every process: NEXUS ${cpu(l.cpu_ms_per_command.nexus)}`);
    lines.push(`                                   baseline ${cpu(l.cpu_ms_per_command.baseline)}`);
    if (l.cpu_ms_per_command.nexus.temporal === undefined) lines.push('  (no Temporal server process at the run\'s port on this machine: its CPU is not in the totals)');
  }
  if (r.fanout) {
    const f = r.fanout;
    const d = f.delivery_delay;
    lines.push('', `SSE fan-out: ${f.clients} clients on one tenant × ${f.commands} commands = ${f.reports} reports, ${f.deliveries} deliveries (API as its own process):`);
    lines.push(row(['', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms']));
    lines.push(row(['  delivery delay (Redis → client)', ms(d.p50_ms), ms(d.p95_ms), ms(d.p99_ms), ms(d.max_ms)]));
    lines.push(`  API CPU ${f.api_cpu_us_per_delivery.toFixed(1)} µs per delivery (clients' side ${f.bench_cpu_us_per_delivery.toFixed(1)} µs); API RSS ${f.api_rss_kb_per_client.toFixed(1)} KB per client; clients opened in ${(f.open_ms / 1000).toFixed(1)} s`);
  }
  if (r.bridge) {
    const b = r.bridge;
    lines.push('', `Bridge: ${b.reports} sealed reports of ${b.commands} commands in ${b.tenants} tenants, drained by one bridge process (prefetch ${b.prefetch}):`);
    lines.push(`  ${Math.round(b.reports_per_s)} reports/s, ${b.bridge_cpu_us_per_report.toFixed(1)} µs of bridge CPU per report, ${b.order_violations} stored out of their command's order`);
  }
  return `${lines.join('\n')}\n`;
}

export function writeResults(file: string, results: BenchResults): void {
  mkdirSync(dirname(file), { recursive: true });
  // Hundredths of a millisecond are already below what these clocks resolve.
  const rounded = (_key: string, value: unknown) => (typeof value === 'number' ? Math.round(value * 100) / 100 : value);
  writeFileSync(file, `${JSON.stringify(results, rounded, 2)}\n`);
}
