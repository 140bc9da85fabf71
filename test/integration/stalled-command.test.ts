import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { HealthReport, workflowIdFor, type Report } from '../../contracts/index.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { deriveStatus } from '../../ui/src/status.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { createLogger } from '../../infra/logger.js';
import { loadConfig } from '../../runtime/config/load-config.js';
import { findTemporalCli } from '../../runtime/devserver/find-temporal-cli.js';
import { startDevServer } from '../../runtime/devserver/start-dev-server.js';
import { startNexus, type NexusRuntime } from '../../runtime/start-nexus.js';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../runtime/worker/start-worker.js';
import { dataConverter } from '../../infra/temporal-options.js';
import { freeRestartablePort } from '../support/local-server.js';
import { REDIS_URL, bootNexus, bundleWorkflows, cleanupEnv, isolatedEnv, killHard, post, temporalClient, testLogger, workflowBundle, type RunningNexus } from '../support/nexus-under-test.js';
import { sendShare } from '../support/red-share.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * A command whose workflow task keeps failing is not silent: a worker that can no longer replay it (a deploy that
 * broke determinism, here a workflow bundle whose first step differs) leaves it `Running` and its workflow says
 * nothing more. The API's check finds it through Temporal's TemporalReportedProblems, logs it with its
 * correlation_id, `/health` counts it with the cause, and its stream says `stalled` (so its card stops spinning);
 * once a worker that can run it is back, it moves again (and, if it would say nothing itself, the stream says so).
 */
const tenant = { org_id: 'acme', project_id: 'stalled' };
const DRIFTED = fileURLToPath(new URL('../support/drifted-workflows/index.ts', import.meta.url));
const quiet = createLogger('silent');
const receiver = new WebhookReceiver();
let env: Record<string, string>;
let logFile: string;
let dataDir: string;
let server: ChildProcess | undefined;
let api: RunningNexus;
let bridge: RunningNexus;
let worker: NexusRuntime | undefined;

beforeAll(async () => {
  // Below the ephemeral range: neither another test's picked port nor an outgoing connection can take them first.
  const ports = { grpc: await freeRestartablePort(), ui: await freeRestartablePort() };
  dataDir = mkdtempSync(join(tmpdir(), 'nexus-stalled-'));
  // Its own server: the embedded one's settings flag a failing workflow task after two attempts.
  server = await startDevServer({ cliPath: findTemporalCli(undefined, quiet), host: '127.0.0.1', port: ports.grpc, uiPort: ports.ui, namespace: 'default', dataDir, logger: quiet });
  const hookUrl = await receiver.start();
  env = isolatedEnv('stalled', {
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.grpc}`,
    NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin,
    NEXUS_STALL_CHECK_INTERVAL: '500ms',
  });
  const test = testLogger(env);
  logFile = test.logFile;
  api = await bootNexus(env, test.logger, { role: 'api' });
  bridge = await bootNexus(env, test.logger, { role: 'bridge' });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await bridge?.stop();
  await receiver.stop();
  if (env) await cleanupEnv(env);
  if (server) await killHard(server);
  rmSync(dataDir, { recursive: true, force: true });
});

const startWorker = async (bundle: Parameters<typeof startNexus>[1]['workflowBundle']) => {
  const { logger } = testLogger(env);
  worker = await startNexus(loadConfig(env), { role: 'worker', logger, ...(bundle ? { workflowBundle: bundle } : {}) });
};

async function health(): Promise<HealthReport> {
  return HealthReport.parse(await (await fetch(new URL('/health', api.baseUrl))).json());
}

const isStall = (state: 'stalled' | 'moving') => (r: Report) => r.report_type === 'task_progress' && r.payload.stalled?.state === state;

/** A RED share waiting on its ask, with a stream recorder on its correlation id. */
async function waitingShare(label: string) {
  const share = await sendShare({ baseUrl: api.baseUrl, tenant, hookUrl: new URL(env.NEXUS_SHARE_ALLOWLIST ?? '').origin, label });
  const decide = () => post(api.baseUrl, `/approvals/${share.ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: share.ask.payload.action_digest }, tenant);
  return { ...share, decide };
}

/** The commands the API has reported stalled and not yet seen move again. */
async function reportedStalls(): Promise<string[]> {
  const redis = new Redis(REDIS_URL);
  try {
    return await redis.hkeys(new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '').stalledCommands());
  } finally {
    redis.disconnect();
  }
}

describe('a command stuck on a failing workflow task', () => {
  it('is counted on /health with its cause and logged with its correlation_id, and released once a good worker is back', async () => {
    await startWorker(await workflowBundle());
    const { correlationId, stream, ask, decide, workflowId } = await waitingShare('stalled');
    await until(async () => (await health()).stalled_commands != null, 10_000, 'the first stalled-command check');
    expect((await health()).stalled_commands?.count).toBe(0);

    // A deploy that cannot replay this command's history: its next workflow task fails, and fails again.
    await worker?.stop();
    await startWorker(await bundleWorkflows(DRIFTED, WORKFLOW_INTERCEPTOR_MODULES));
    const early = decide();

    await until(async () => ((await health()).stalled_commands?.count ?? 0) > 0, 60_000, '/health to count the stalled command');
    const stalled = await health();
    expect(stalled.status).toBe('ok');
    expect(stalled.stalled_commands).toMatchObject({ count: 1, causes: { NonDeterministicError: 1 } });
    const logged = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('command stalled'));
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.parse(logged[0] ?? '{}')).toMatchObject({ level: 'error', correlation_id: correlationId, workflow_id: workflowId });
    // The stream says so, after the last report the workflow wrote and with its seq, so the card shows it.
    const stalledView = await stream.waitFor((rs) => rs.some(isStall('stalled')), 30_000, 'the stall report');
    const notice = stalledView.find(isStall('stalled'));
    expect(notice).toMatchObject({ seq: ask.seq, workflow_id: workflowId, correlation_id: correlationId, payload: { stalled: { state: 'stalled', cause: 'NonDeterministicError' } } });
    expect(stalledView.indexOf(notice as Report)).toBeGreaterThan(stalledView.indexOf(ask));
    expect(deriveStatus(stalledView)).toBe('stalled');
    expect(await reportedStalls()).toEqual([workflowId]);
    // Nothing ran meanwhile, and the decision sent to the broken worker was not reported as taken.
    expect((await early).status).toBe(503);
    expect(receiver.deliveries).toHaveLength(0);

    // The good code is back: the command moves again, the approver's retry is answered, and the count drops.
    await worker?.stop();
    await startWorker(await workflowBundle());
    await until(async () => (await decide()).status === 202, 60_000, 'the approver\'s retry to be answered 202');
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 60_000, 'the command to complete');
    expect(receiver.deliveries).toHaveLength(1);
    await until(async () => (await health()).stalled_commands?.count === 0, 30_000, '/health to count no stalled command');
    expect(readFileSync(logFile, 'utf8')).toContain('command no longer stalled');
    await until(async () => (await reportedStalls()).length === 0, 30_000, 'the stall to be forgotten');
    // One stall report. Whether the stream also says "moving" depends on which came first: the server's own retry
    // of the task on the good worker (a check in between sees it move with nothing said) or the approver's retry
    // (the decision is its report); either way at most once, before the decision, and then one ending.
    stream.close();
    expect(stream.reports.filter(isStall('stalled'))).toHaveLength(1);
    const moving = stream.reports.filter(isStall('moving'));
    expect(moving.length).toBeLessThanOrEqual(1);
    if (moving[0]) expect(stream.reports.indexOf(moving[0])).toBeLessThan(stream.reports.findIndex((r) => r.report_type === 'ask_resolved'));
    expect(deriveStatus(stream.reports)).toBe('completed');
  }, 240_000);

  it('says when a stalled command moves again without a report of its own', async () => {
    const { stream, decide, workflowId } = await waitingShare('moving');
    const client = await temporalClient(env);
    try {
      // A workflow task that writes no report: a signal nobody handles, which the drifted worker cannot replay.
      await worker?.stop();
      await startWorker(await bundleWorkflows(DRIFTED, WORKFLOW_INTERCEPTOR_MODULES));
      await client.workflow.getHandle(workflowId).signal('nudge');
      const stalled = await stream.waitFor((rs) => rs.some(isStall('stalled')), 60_000, 'the stall report');
      expect(deriveStatus(stalled)).toBe('stalled');

      await worker?.stop();
      await startWorker(await workflowBundle());
      // Until the retried task runs on the good worker; a signal a second wakes it sooner than the server's backoff.
      let nudged = 0;
      await until(async () => {
        if (stream.reports.some(isStall('moving'))) return true;
        if (Date.now() - nudged > 1_000) {
          nudged = Date.now();
          await client.workflow.getHandle(workflowId).signal('nudge').catch(() => undefined);
        }
        return false;
      }, 90_000, 'the report that the command moves again');
      const moving = stream.reports.find(isStall('moving'));
      expect(moving?.seq).toBe(stalled.find(isStall('stalled'))?.seq);
      expect(deriveStatus(stream.reports)).toBe('waiting');
      await until(async () => (await reportedStalls()).length === 0, 30_000, 'the stall to be forgotten');

      await until(async () => (await decide()).status === 202, 30_000, 'the approval to be answered 202');
      await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 60_000, 'the command to complete');
      expect(deriveStatus(stream.reports)).toBe('completed');
      expect(stream.reports.filter(isStall('moving'))).toHaveLength(1);
    } finally {
      stream.close();
      await client.connection.close();
    }
  }, 240_000);

  it('puts nothing on a stream for a stalled workflow that only claims to be a tenant\'s command', async () => {
    const correlationId = `forged-${Date.now()}`;
    const stream = await SseRecorder.open(api.baseUrl, tenant, { correlationId });
    // Someone with Temporal access and the payload key (without it the input is refused at once, nothing stalls)
    // but no decision key: an input the workflow cannot run, and memo and search attributes naming the tenant and
    // a correlation id, once with an id of their own and once with the id NEXUS would derive for a command that
    // was never sent.
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS ?? '' });
    const attacker = new Client({ connection, dataConverter: dataConverter(loadConfig(env).trust.payloadKeys ?? []) });
    const ids = [`shadow-${Date.now()}`, workflowIdFor(tenant, `never-sent-${Date.now()}`)];
    try {
      for (const [i, workflowId] of ids.entries()) {
        await attacker.workflow.start('commandWorkflow', {
          taskQueue: env.TEMPORAL_TASK_QUEUE ?? '',
          workflowId,
          args: [{ tenant }],
          memo: { correlation_id: correlationId, command_id: i === 0 ? 'forged' : workflowId.split('/').at(-1) },
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTES.orgId, value: tenant.org_id },
            { key: SEARCH_ATTRIBUTES.projectId, value: tenant.project_id },
            { key: SEARCH_ATTRIBUTES.correlationId, value: correlationId },
          ],
        });
      }
      await until(async () => (await health()).stalled_commands?.count === 2, 60_000, '/health to count both stalled workflows');
      const refusals = () => readFileSync(logFile, 'utf8').split('\n').filter((line) => /not a NEXUS command|no unfinished command on its stream/.test(line));
      await until(async () => ids.every((id) => refusals().some((line) => line.includes(id))), 30_000, 'the check to pass over both');
      expect(await reportedStalls()).toEqual([]);
      expect(stream.reports).toEqual([]);
    } finally {
      stream.close();
      for (const workflowId of ids) await attacker.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
      await connection.close();
    }
  }, 120_000);
});
