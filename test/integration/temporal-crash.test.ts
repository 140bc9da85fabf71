import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freeRestartablePort } from '../support/local-server.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionSeal } from '../../infra/trust/decision-seal.js';
import type { ReportOf } from '../../contracts/index.js';
import { createLogger } from '../../infra/logger.js';
import { findTemporalCli } from '../../runtime/devserver/find-temporal-cli.js';
import { startDevServer } from '../../runtime/devserver/start-dev-server.js';
import { decideUpdate } from '../../workflows/messages.js';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, killHard, post, REDIS_URL, temporalClient, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

/**
 * The Temporal server dies while a decision is being handled (its workflow task not yet saved), then comes back on
 * its SQLite file. The stream must never announce a decision Temporal lost, and the approver must be able to decide
 * again with exactly one outcome. To hold the decision inside that unsaved task, Redis writes are paused while the
 * worker verifies it (the verdict is audited before it counts), and the server is killed meanwhile.
 */
const tenant = { org_id: 'acme', project_id: 'temporal-crash' };
const receiver = new WebhookReceiver();
const quiet = createLogger('silent');
let env: Record<string, string>;
let dataDir: string;
let server: ChildProcess;
let ports: { grpc: number; ui: number };
let nexus: RunningNexus;
let temporal: Client;
let redis: Redis;
let hookUrl: string;

const startServer = () => startDevServer({
  cliPath: findTemporalCli(undefined, quiet), host: '127.0.0.1', port: ports.grpc, uiPort: ports.ui, namespace: 'default', dataDir, logger: quiet,
});

beforeAll(async () => {
  ports = { grpc: await freeRestartablePort(), ui: await freeRestartablePort() };
  dataDir = mkdtempSync(join(tmpdir(), 'nexus-temporal-crash-'));
  server = await startServer();
  hookUrl = await receiver.start();
  env = isolatedEnv('temporal-crash', { TEMPORAL_ADDRESS: `127.0.0.1:${ports.grpc}`, NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin });
  nexus = await bootNexus(env, testLogger(env).logger);
  temporal = await temporalClient(env);
  redis = new Redis(REDIS_URL);
}, 120_000);
afterAll(async () => {
  await redis?.call('CLIENT', 'UNPAUSE').catch(() => undefined);
  await nexus?.stop();
  await temporal?.connection.close();
  await redis?.quit();
  await receiver.stop();
  // Before the server goes: the histories of a Temporal crash are among those most worth replaying.
  if (env) await cleanupEnv(env);
  if (server) await killHard(server);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Temporal killed during a decision', () => {
  it('leaves no phantom decision on the stream, and the approver decides again with exactly one outcome', async () => {
    const correlationId = `crash-${Date.now()}`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
    const res = await post(nexus.baseUrl, '/sidecar/command', {
      type: 'agent.run', agent: 'external_share', params: { url: `${hookUrl}/crash`, payload: { n: 1 } }, correlation_id: correlationId,
    }, tenant);
    expect(res.status).toBe(202);
    const workflowId = res.body.workflow_id as string;
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 30_000, 'ask');
    const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
    if (!ask) throw new Error('no ask');

    // A decision the API would send (signed with the install's key), delivered while Redis writes are paused: the
    // worker accepts it and waits to audit its verdict, inside a workflow task Temporal has not saved yet.
    const seal = new DecisionSeal(nexus.config.trust.decisionKeys ?? [], nexus.config.trust.decisionMaxAgeMs);
    const signed = seal.sign({
      ask_id: ask.payload.ask_id, workflow_id: workflowId, tenant, decision: 'approve', action_digest: ask.payload.action_digest,
      decided_by: 'approver-kim', roles: ['approver'], decided_at: new Date().toISOString(),
    });
    await redis.call('CLIENT', 'PAUSE', '4000', 'WRITE');
    const lost = temporal.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [signed], updateId: seal.updateId(signed, 1) }).catch(() => 'lost');
    await new Promise((r) => setTimeout(r, 1_500));
    await killHard(server);
    expect(await lost).toBe('lost');
    // Redis comes back while Temporal is still down: whatever the worker does now must not reach the stream.
    await new Promise((r) => setTimeout(r, 4_000));
    expect(stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created']);

    server = await restartServer();
    // Temporal replays the workflow without the lost update: the ask is still open, and nothing was announced.
    const retried = await retryUntil202(() => post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, {
      decision: 'approve', action_digest: ask.payload.action_digest,
    }, tenant, { 'x-user-id': 'approver-kim' }));
    expect(retried).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 60_000, 'completion');
    await new Promise((r) => setTimeout(r, 1_000));
    stream.close();
    expect(stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed']);
    expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(1);
  }, 150_000);
});

/**
 * The killed server started again on its ports and data. Its ports are below the ephemeral range (no outgoing
 * connection takes them while it is down) and a port it picks itself is retried by startDevServer; a start that
 * still fails is tried again, each failure (with what the server said) kept for the message.
 */
async function restartServer(): Promise<ChildProcess> {
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startServer();
    } catch (err) {
      failures.push(`attempt ${attempt}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
  throw new Error(`the Temporal dev server did not start again:\n${failures.join('\n')}`);
}

/** A freshly restarted server answers 503 for a moment (the API's Temporal deadline); the decision is retried. */
async function retryUntil202(send: () => Promise<{ status: number }>): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { status } = await send();
    if (status !== 503 || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
