import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { Report } from '../contracts/index.js';
import { assertReportTopology, routingKeyFor, type ReportTopology } from '../infra/messaging/report-topology.js';
import { RedisKeys } from '../infra/store/keys.js';
import { parseKeyRing } from '../infra/trust/key-ring.js';
import { REPORT_SEAL_HEADER, ReportSeal } from '../infra/trust/report-seal.js';
import { loadConfig } from '../runtime/config/load-config.js';
import { spawnRole } from '../runtime/spawn-role.js';
import { stopProcess } from '../runtime/stop-process.js';
import { AMQP_URL, REDIS_URL } from './bench-env.js';
import type { CleanupStack } from './cleanup-stack.js';
import { cpuSeconds } from './process-cpu.js';

export interface BridgeResult {
  reports: number;
  commands: number;
  tenants: number;
  /** The bridge's NEXUS_BRIDGE_PREFETCH: how many messages it may hold unacked. */
  prefetch: number;
  /** From the first report stored to the last. */
  seconds: number;
  reports_per_s: number;
  bridge_cpu_us_per_report: number;
  /** Reports stored after a later report of their own command; anything above 0 is a broken promise. */
  order_violations: number;
}

const TENANTS = 4;
const COMMANDS = 200;
const PUBLISH_CHUNK = 1_000;
const START_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 300_000;
const POLL_MS = 10;

/**
 * The relay alone: `reports` sealed reports of 200 commands in 4 tenants, interleaved as concurrent commands publish
 * them, are put on the reports queue first; then a bridge process starts and drains it into Redis. The rate is
 * taken from the first report stored to the last, so start-up does not count, and the streams are read back to
 * check that every command's reports are in seq order.
 */
export async function runBridgeCase(env: Record<string, string>, reports: number, cleanups: CleanupStack, progress: (message: string) => void): Promise<BridgeResult> {
  const keyText = `bench:${randomBytes(32).toString('base64')}`;
  const ring = parseKeyRing(keyText);
  if (!ring) throw new Error('bench: the generated report key did not parse');
  const seal = new ReportSeal(ring);
  const topology: ReportTopology = { exchange: env.NEXUS_REPORTS_EXCHANGE ?? '', bridgeQueue: env.NEXUS_BRIDGE_QUEUE ?? '' };
  const keys = new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '');
  const runId = randomBytes(4).toString('hex');
  const tenants = Array.from({ length: TENANTS }, (_, i) => ({ org_id: 'bench', project_id: `relay-${runId}-${i}` }));
  const perCommand = Math.ceil(reports / COMMANDS);

  progress(`bridge: publishing ${reports} sealed reports of ${COMMANDS} commands in ${TENANTS} tenants`);
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createConfirmChannel();
    await assertReportTopology(channel, topology);
    let published = 0;
    for (let seq = 0; seq < perCommand && published < reports; seq++) {
      for (let c = 0; c < COMMANDS && published < reports; c++) {
        const report = reportOf(tenants[c % TENANTS] ?? { org_id: 'bench', project_id: 'relay' }, `relay-${runId}-${c}`, seq);
        const body = Buffer.from(JSON.stringify(report));
        channel.publish(topology.exchange, routingKeyFor(report), body, {
          persistent: true,
          contentType: 'application/json',
          messageId: report.report_id,
          correlationId: report.correlation_id,
          headers: { [REPORT_SEAL_HEADER]: seal.sign(body) },
        });
        published++;
        if (published % PUBLISH_CHUNK === 0) await channel.waitForConfirms();
      }
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }

  const redis = new Redis(REDIS_URL);
  let bridge: ChildProcess | undefined;
  try {
    progress('bridge: starting the bridge process; it drains the queue');
    bridge = await spawnRole('bridge', { ...process.env, ...env, NEXUS_DECISION_KEYS: keyText }, { timeoutMs: START_TIMEOUT_MS });
    const child = bridge;
    cleanups.push('bridge process', () => stopProcess(child));
    const streams = tenants.map((t) => keys.reports(t));
    const stored = async () => (await Promise.all(streams.map((s) => redis.xlen(s)))).reduce((a, b) => a + b, 0);
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    let first: { at: number; count: number; cpu: number } | undefined;
    let count = 0;
    while (count < reports) {
      if (Date.now() > deadline) throw new Error(`bridge: ${count} of ${reports} reports stored after ${DRAIN_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      count = await stored();
      if (!first && count > 0) first = { at: performance.now(), count, cpu: cpuSeconds(child.pid ?? 0) };
    }
    const seconds = (performance.now() - (first?.at ?? 0)) / 1000;
    const cpu = cpuSeconds(child.pid ?? 0) - (first?.cpu ?? 0);
    const drained = reports - (first?.count ?? 0);
    await stopProcess(child);
    return {
      reports,
      commands: COMMANDS,
      tenants: TENANTS,
      prefetch: loadConfig({ ...process.env, ...env, NEXUS_DECISION_KEYS: keyText }).amqp.prefetch,
      seconds,
      reports_per_s: drained / seconds,
      bridge_cpu_us_per_report: (cpu * 1e6) / drained,
      order_violations: await orderViolations(redis, streams),
    };
  } finally {
    redis.disconnect();
  }
}

function reportOf(tenant: { org_id: string; project_id: string }, command: string, seq: number): Report {
  return Report.parse({
    report_id: `${command}:${seq}`,
    seq,
    report_type: 'task_progress',
    correlation_id: command,
    command_id: command,
    workflow_id: `nexus/${tenant.org_id}/${tenant.project_id}/${command}`,
    org_id: tenant.org_id,
    project_id: tenant.project_id,
    ts: new Date().toISOString(),
    payload: { message: 'relay', done: seq },
  });
}

/** Reads every stream back: a command whose seq ever goes down was stored out of order. */
async function orderViolations(redis: Redis, streams: string[]): Promise<number> {
  let violations = 0;
  for (const stream of streams) {
    const last = new Map<string, number>();
    for (let after = '-'; ;) {
      const rows = await redis.xrange(stream, after, '+', 'COUNT', 5_000);
      for (const [, fields] of rows) {
        const report = JSON.parse(fields[1] ?? '{}') as { workflow_id: string; seq: number };
        if ((last.get(report.workflow_id) ?? -1) > report.seq) violations++;
        last.set(report.workflow_id, report.seq);
      }
      const lastRow = rows.at(-1);
      if (rows.length < 5_000 || !lastRow) break;
      after = `(${lastRow[0]}`;
    }
  }
  return violations;
}
