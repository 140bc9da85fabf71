import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthReport, type ReportOf } from '../../contracts/index.js';
import { createLogger } from '../../infra/logger.js';
import { loadConfig } from '../../runtime/config/load-config.js';
import { findTemporalCli } from '../../runtime/devserver/find-temporal-cli.js';
import { startDevServer } from '../../runtime/devserver/start-dev-server.js';
import { startNexus, type NexusRuntime } from '../../runtime/start-nexus.js';
import { freePort } from '../support/local-server.js';
import { bootNexus, bundleWorkflows, cleanupEnv, isolatedEnv, killHard, post, testLogger, workflowBundle, type RunningNexus } from '../support/nexus-under-test.js';
import { SseRecorder } from '../support/sse-client.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * A command whose workflow task keeps failing is not silent: a worker that can no longer replay it (a deploy that
 * broke determinism, here a workflow bundle whose first step differs) leaves it `Running` with nothing on the
 * stream. The API's check finds it through Temporal's TemporalReportedProblems, logs it with its correlation_id,
 * and `/health` counts it, with the cause; once a worker that can run it is back, it finishes and the count drops.
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
  const ports = { grpc: await freePort(), ui: await freePort() };
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

describe('a command stuck on a failing workflow task', () => {
  it('is counted on /health with its cause and logged with its correlation_id, and released once a good worker is back', async () => {
    await startWorker(await workflowBundle());
    const correlationId = `stalled-${Date.now()}`;
    const stream = await SseRecorder.open(api.baseUrl, tenant, { correlationId });
    const res = await post(api.baseUrl, '/sidecar/command', {
      type: 'agent.run', agent: 'external_share', params: { url: `${new URL(env.NEXUS_SHARE_ALLOWLIST ?? '').origin}/stalled`, payload: { n: 1 } }, correlation_id: correlationId,
    }, tenant);
    expect(res.status).toBe(202);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 30_000, 'the ask');
    const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
    if (!ask) throw new Error('no ask');
    await until(async () => (await health()).stalled_commands != null, 10_000, 'the first stalled-command check');
    expect((await health()).stalled_commands?.count).toBe(0);

    // A deploy that cannot replay this command's history: its next workflow task fails, and fails again.
    await worker?.stop();
    await startWorker(await bundleWorkflows(DRIFTED));
    const decide = () => post(api.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: ask.payload.action_digest }, tenant);
    const early = decide();

    await until(async () => ((await health()).stalled_commands?.count ?? 0) > 0, 60_000, '/health to count the stalled command');
    const stalled = await health();
    expect(stalled.status).toBe('ok');
    expect(stalled.stalled_commands).toMatchObject({ count: 1, causes: { NonDeterministicError: 1 } });
    const logged = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('command stalled'));
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.parse(logged[0] ?? '{}')).toMatchObject({ level: 'error', correlation_id: correlationId, workflow_id: res.body.workflow_id });
    // Nothing ran meanwhile, and the decision sent to the broken worker was not reported as taken.
    expect((await early).status).toBe(503);
    expect(receiver.deliveries).toHaveLength(0);

    // The good code is back: the command moves again, the approver's retry is answered, and the count drops.
    await worker?.stop();
    await startWorker(await workflowBundle());
    await until(async () => (await decide()).status === 202, 60_000, 'the approver\'s retry to be answered 202');
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 60_000, 'the command to complete');
    stream.close();
    expect(receiver.deliveries).toHaveLength(1);
    await until(async () => (await health()).stalled_commands?.count === 0, 30_000, '/health to count no stalled command');
    expect(readFileSync(logFile, 'utf8')).toContain('command no longer stalled');
  }, 240_000);
});
