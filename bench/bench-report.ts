import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import type { BenchSettings } from './bench-settings.js';
import type { BridgeResult } from './bridge-case.js';
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

export interface BenchResults {
  finished_at: string;
  settings: Omit<BenchSettings, 'resultsFile' | 'timeoutMs' | 'processes' | 'fanout' | 'bridgeReports'>;
  machine: { cpus: number; node: string; platform: string };
  temporal: { kind: string; address: string };
  nexus: SideResult & { stages: Record<string, LatencySummary> };
  baseline: SideResult;
  ratios: { p50: number; p95: number; p99: number; throughput: number };
  /** The multi-process mode: how many of each role ran, and the CPU each role spent per 1,000 measured commands. */
  processes?: { apis: number; workers: number; bridges: number; cpu_s_per_1000_commands: Record<string, number> };
  /** The SSE fan-out case (BENCH_FANOUT_CLIENTS above 0): one tenant's reports to many dashboards on one API. */
  fanout?: FanoutResult;
  /** The relay case (BENCH_BRIDGE_REPORTS above 0): one bridge process draining a full reports queue into Redis. */
  bridge?: BridgeResult;
}

export function buildResults(
  settings: BenchSettings,
  temporal: { kind: string; address: string },
  nexus: LoadResult<NexusSample>,
  baseline: LoadResult<number>,
  cpuSeconds?: Record<string, number>,
  fanout?: FanoutResult,
  bridge?: BridgeResult,
): BenchResults {
  const n = side(nexus.samples.map((s) => s.latencyMs), nexus);
  const b = side(baseline.samples, baseline);
  const defined = (xs: Array<number | undefined>) => xs.filter((x): x is number => x !== undefined);
  return {
    finished_at: new Date().toISOString(),
    settings: { commands: settings.commands, concurrency: settings.concurrency, warmup: settings.warmup },
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    temporal,
    nexus: {
      ...n,
      stages: Object.fromEntries(
        STAGES.map(({ key }) => [key, summarize(defined(nexus.samples.map((s) => s[key])))]),
      ),
    },
    baseline: b,
    ratios: {
      p50: n.latency.p50_ms / b.latency.p50_ms,
      p95: n.latency.p95_ms / b.latency.p95_ms,
      p99: n.latency.p99_ms / b.latency.p99_ms,
      // Above 1 means NEXUS is faster; kept as NEXUS / baseline like the latencies so every ratio reads the same way.
      throughput: n.throughput_per_s / b.throughput_per_s,
    },
    ...(settings.processes && cpuSeconds
      ? {
        processes: {
          ...settings.processes,
          cpu_s_per_1000_commands: Object.fromEntries(Object.entries(cpuSeconds).map(([role, s]) => [role, (s / nexus.samples.length) * 1000])),
        },
      }
      : {}),
    ...(fanout ? { fanout } : {}),
    ...(bridge ? { bridge } : {}),
  };
}

function side(latencies: number[], load: LoadResult<unknown>): SideResult {
  return { latency: summarize(latencies), throughput_per_s: load.throughputPerSec, wall_ms: load.wallMs };
}

export function formatTable(r: BenchResults): string {
  const ms = (x: number) => x.toFixed(1);
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(34) : c.padStart(11))).join('');
  const lines = [
    `GREEN echo, ${r.settings.commands} commands at concurrency ${r.settings.concurrency} (warm-up ${r.settings.warmup} each, not counted)`,
    `Temporal: ${r.temporal.kind} server at ${r.temporal.address}; ${r.machine.cpus} CPUs, Node ${r.machine.node}`,
    '',
    row(['', 'p50 ms', 'p95 ms', 'p99 ms', 'cmd/s']),
    row(['NEXUS (POST → SSE completed)', ms(r.nexus.latency.p50_ms), ms(r.nexus.latency.p95_ms), ms(r.nexus.latency.p99_ms), r.nexus.throughput_per_s.toFixed(1)]),
    row(['Baseline (workflow.execute)', ms(r.baseline.latency.p50_ms), ms(r.baseline.latency.p95_ms), ms(r.baseline.latency.p99_ms), r.baseline.throughput_per_s.toFixed(1)]),
    row(['Ratio NEXUS / baseline', ...[r.ratios.p50, r.ratios.p95, r.ratios.p99, r.ratios.throughput].map((x) => `${x.toFixed(2)}x`)]),
    '',
    'Where NEXUS latency goes (ms after the POST; each column on its own, so they need not add up):',
    row(['', 'p50', 'p95', 'p99', '']),
  ];
  for (const { key, label } of STAGES) {
    const s = r.nexus.stages[key];
    if (s) lines.push(row([`  ${label}`, ms(s.p50_ms), ms(s.p95_ms), ms(s.p99_ms), '']));
  }
  const done = r.nexus.latency;
  lines.push(row(['  task_completed on SSE', ms(done.p50_ms), ms(done.p95_ms), ms(done.p99_ms), '']));
  if (r.processes) {
    const p = r.processes;
    lines.push('', `Processes: ${p.apis} API, ${p.workers} worker, ${p.bridges} bridge; CPU seconds per 1,000 commands by role:`);
    lines.push(`  ${Object.entries(p.cpu_s_per_1000_commands).map(([role, s]) => `${role} ${s.toFixed(1)}`).join(', ')}`);
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
