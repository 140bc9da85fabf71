import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { runChaos } from '../chaos/chaos-run.js';
import { freeRestartablePort } from '../support/local-server.js';
import { cleanupEnv, isolatedEnv, temporalClient, testLogger } from '../support/nexus-under-test.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

// The short form of `CHAOS_REPLICAS=2 npm run chaos`: two processes of every role on one Temporal, RabbitMQ and Redis.
const tenant = { org_id: 'acme', project_id: 'replicas' };
const receiver = new WebhookReceiver();
let env: Record<string, string>;
let temporal: Client;
let hookUrl: string;

beforeAll(async () => {
  hookUrl = await receiver.start();
  env = isolatedEnv('replicas', {
    NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin,
    // A killed worker's agent step is taken over by the other worker within seconds.
    NEXUS_AGENT_HEARTBEAT_TIMEOUT: '3s',
    NEXUS_RATE_LIMIT_PER_MIN: '1000000',
  });
  temporal = await temporalClient(env);
});
afterAll(async () => {
  await temporal?.connection.close();
  await receiver.stop();
  if (env) await cleanupEnv(env);
}, 120_000);

describe('every role replicated', () => {
  it('2 APIs, 2 workers and 2 bridges, one of each killed and restarted mid-run: each command ends once, in order, on every dashboard, with each effect once', async () => {
    const { logFile } = testLogger(env);
    const result = await runChaos({
      env, apiPorts: [await freeRestartablePort(), await freeRestartablePort()], logFile, temporal, receiver, hookUrl, tenant, sseClients: true,
      commands: 24, concurrency: 6, redShare: 0.5, victims: ['bridge', 'worker', 'api'], faultEveryMs: 1_500, rounds: 1, settleMs: 120_000,
    });
    expect(result.faults).toEqual(expect.arrayContaining(['kill -9 bridge#0', 'kill -9 worker#0', 'kill -9 api#0']));
    expect({
      stuck: result.stuck, doubleEnded: result.doubleEnded, duplicateReportIds: result.duplicateReportIds, reordered: result.reordered,
      sseMismatches: result.sseMismatches, unapprovedOrRepeated: result.unapprovedOrRepeated, wrongAnswers: result.wrongAnswers,
      running: result.running, askDisagreements: result.askDisagreements, unaudited: result.unaudited,
    }).toEqual({
      stuck: [], doubleEnded: [], duplicateReportIds: 0, reordered: [], sseMismatches: [], unapprovedOrRepeated: [], wrongAnswers: [],
      running: [], askDisagreements: [], unaudited: [],
    });
    // Some RED work was approved (through either API: requests alternate between them) and delivered.
    expect(receiver.deliveries.length).toBeGreaterThan(0);
  }, 400_000);
});
