import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logger.js';
import { findTemporalCli } from '../../runtime/devserver/find-temporal-cli.js';
import { startDevServer } from '../../runtime/devserver/start-dev-server.js';
import { freeRestartablePort } from '../support/local-server.js';
import { cleanupEnv, isolatedEnv, killHard, temporalClient, testLogger } from '../support/nexus-under-test.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { runChaos, type ChaosResult, type Victim } from './chaos-run.js';

// The suite runs a short form; `npm run chaos` sets CHAOS_COMMANDS (and the others) for a long one.
const commands = Number(process.env.CHAOS_COMMANDS ?? 24);
const concurrency = Number(process.env.CHAOS_CONCURRENCY ?? 6);
const faultEveryMs = Number(process.env.CHAOS_FAULT_EVERY_MS ?? 1_500);
const rounds = Number(process.env.CHAOS_ROUNDS ?? 1);
const redShare = Number(process.env.CHAOS_RED_SHARE ?? 0.8);
// Processes per role (APIs, workers, bridges); test/integration/replicas.test.ts is the short form with two.
const replicas = Number(process.env.CHAOS_REPLICAS ?? 1);
const long = commands > 100;
const victims: Victim[] = ['worker', 'worker-outage', 'temporal', 'bridge', 'rabbitmq', 'api'];

const tenant = { org_id: 'acme', project_id: 'chaos' };
const receiver = new WebhookReceiver();
const quiet = createLogger('silent');
let env: Record<string, string>;
let dataDir: string;
let ports: { grpc: number; ui: number };
let server: ChildProcess | undefined;
let temporal: Client;
let hookUrl: string;

/** Its own Temporal server on a SQLite file, so it can be killed and brought back with every workflow in it. */
async function startTemporal(): Promise<ChildProcess> {
  server = await startDevServer({
    cliPath: findTemporalCli(undefined, quiet), host: '127.0.0.1', port: ports.grpc, uiPort: ports.ui, namespace: 'default', dataDir, logger: quiet,
  });
  return server;
}

beforeAll(async () => {
  ports = { grpc: await freeRestartablePort(), ui: await freeRestartablePort() };
  dataDir = mkdtempSync(join(tmpdir(), 'nexus-chaos-'));
  await startTemporal();
  hookUrl = await receiver.start();
  env = isolatedEnv('chaos', {
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.grpc}`,
    PORT: String(await freeRestartablePort()),
    NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin,
    // A killed worker's agent step is taken over within seconds.
    NEXUS_AGENT_HEARTBEAT_TIMEOUT: '3s',
    // One org sends the whole load, retries included; the rate limit is not what this run is about.
    NEXUS_RATE_LIMIT_PER_MIN: '1000000',
  });
  temporal = await temporalClient(env);
}, 120_000);
afterAll(async () => {
  await temporal?.connection.close();
  await receiver.stop();
  // Before the server goes: every history of the run is replayed with the code under test.
  if (env) await cleanupEnv(env);
  if (server) await killHard(server);
  rmSync(dataDir, { recursive: true, force: true });
}, 300_000);

describe('chaos: roles, Temporal and RabbitMQ killed while clients and approvers retry', () => {
  it(`${commands} commands (${Math.round(redShare * 100)}% RED: approved, denied, approved three times at once, approve racing deny) each end once, nothing lost, repeated or unapproved`, async () => {
    const { logger, logFile } = testLogger(env);
    const result: ChaosResult = await runChaos({
      env, apiPorts: [Number(env.PORT), ...(await Promise.all(Array.from({ length: replicas - 1 }, () => freeRestartablePort())))], logFile, sseClients: replicas > 1, temporal, temporalServer: server as ChildProcess, startTemporal, receiver, hookUrl, tenant,
      commands, concurrency, redShare, victims, faultEveryMs, rounds, settleMs: long ? 900_000 : 180_000,
    });
    logger.info({ chaos: result }, 'chaos run finished');
    if (long) console.log(JSON.stringify({ chaos: { ...result, faults: result.faults.length } }, null, 2));
    expect(result.faults.map((fault) => fault.replace(/#\d+/, ''))).toEqual(expect.arrayContaining(['kill -9 worker', 'kill -9 temporal', 'kill -9 bridge', 'rabbitmq stop_app', 'kill -9 api', 'kill -9 worker, down 20 s']));
    // The long run must have had approvers retry into one workflow task (what must replay). The short form may
    // not meet that timing on a given machine; workflows/concurrent-decisions.test.ts makes the case on purpose.
    if (long) expect(result.concurrentDecisions).toBeGreaterThan(0);
    expect({
      stuck: result.stuck, doubleEnded: result.doubleEnded, duplicateReportIds: result.duplicateReportIds,
      reordered: result.reordered, sseMismatches: result.sseMismatches, unapprovedOrRepeated: result.unapprovedOrRepeated, wrongAnswers: result.wrongAnswers,
      running: result.running, nondeterminism: Object.keys(result.workflowTaskFailures).filter((cause) => /NonDeterministic|TMPRL1100/i.test(cause)),
      askDisagreements: result.askDisagreements, unaudited: result.unaudited,
    }).toEqual({
      stuck: [], doubleEnded: [], duplicateReportIds: 0, reordered: [], sseMismatches: [], unapprovedOrRepeated: [], wrongAnswers: [], running: [], nondeterminism: [],
      askDisagreements: [], unaudited: [],
    });
  }, long ? 3_600_000 : 600_000);
});
