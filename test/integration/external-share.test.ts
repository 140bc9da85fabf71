import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportOf } from '../../contracts/index.js';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'ssrf' };
const receiver = new WebhookReceiver();
// `localhost` is allowlisted by name, but its address (127.0.0.1) is not: the connect-time guard must refuse it.
const env = isolatedEnv('ssrf', { NEXUS_SHARE_ALLOWLIST: 'localhost,hooks.example.org' });
const policyDir = mkdtempSync(join(tmpdir(), 'nexus-share-policy-'));
mkdirSync(join(policyDir, 'acme'));
writeFileSync(join(policyDir, 'acme', 'narrow.json'), JSON.stringify({ rules: [], share_allowlist: ['partner.example.org'] }));
const signingEnv = isolatedEnv('share-sign', { NEXUS_SHARE_ALLOWLIST: '127.0.0.1', NEXUS_SHARE_SIGNING_SECRET: 's3cret', NEXUS_POLICY_DIR: policyDir });
let nexus: RunningNexus;
let signing: RunningNexus;
let port: string;

beforeAll(async () => {
  port = new URL(await receiver.start()).port;
  const { logger } = testLogger(env);
  nexus = await bootNexus(env, logger);
  signing = await bootNexus(signingEnv, logger);
});
afterAll(async () => {
  await nexus?.stop();
  await signing?.stop();
  await cleanupEnv(signingEnv);
  await receiver.stop();
  await cleanupEnv(env);
});

const share = (url: string, payload: unknown = { a: 1 }, correlation_id?: string) =>
  post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'external_share', params: { url, payload }, ...(correlation_id ? { correlation_id } : {}) }, tenant);

describe('external_share refuses internal destinations', () => {
  it.each([
    ['loopback by IP', 'http://127.0.0.1:9/x'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['a private range', 'http://10.0.0.5/hook'],
    ['IPv6 loopback', 'http://[::1]/x'],
    ['a host not on the allowlist', 'https://evil.example.com/collect'],
    ['a non-http scheme', 'file:///etc/passwd'],
  ])('%s at submission (400, nothing starts)', async (_name, url) => {
    const res = await share(url);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_params');
  });

  it('refuses a payload over the body limit at submission', async () => {
    const res = await share('https://hooks.example.org/x', { blob: 'x'.repeat(300_000) });
    expect(res.status).toBe(413);
  });

  it('refuses, at connect time, an allowlisted name that resolves to an internal address — even after approval', async () => {
    const correlationId = `rebind-${Date.now()}`;
    const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
    const res = await share(`http://localhost:${port}/hook`, { secret: 1 }, correlationId);
    expect(res.status).toBe(202);
    const ask = (await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created')))
      .find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
    expect((await post(nexus.baseUrl, `/approvals/${ask?.payload.ask_id}/decide`, { decision: 'approve' }, tenant)).status).toBe(202);
    const failed = (await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_failed')))
      .find((r): r is ReportOf<'task_failed'> => r.report_type === 'task_failed');
    stream.close();
    expect(failed?.payload.error).toMatchObject({ code: 'destination_not_allowed', retryable: false });
    expect(receiver.deliveries).toHaveLength(0);
  });
});

describe('external_share toward an allowed destination', () => {
  async function approveShare(t: { org_id: string; project_id: string }, correlationId: string, payload: unknown) {
    const stream = await SseRecorder.open(signing.baseUrl, t, { correlationId });
    const res = await post(signing.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'external_share', params: { url: `http://127.0.0.1:${port}/signed`, payload }, correlation_id: correlationId }, t);
    expect(res.status).toBe(202);
    const ask = (await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created')))
      .find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
    await post(signing.baseUrl, `/approvals/${ask?.payload.ask_id}/decide`, { decision: 'approve' }, t);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed'));
    stream.close();
    return reports;
  }

  it('signs the body with HMAC-SHA256 over timestamp and body', async () => {
    const correlationId = `signed-${Date.now()}`;
    await approveShare(tenant, correlationId, { grades: [1] });
    const delivery = receiver.deliveries.find((d) => d.correlationId === correlationId);
    const timestamp = String(delivery?.headers['x-nexus-timestamp']);
    const expected = `sha256=${createHmac('sha256', 's3cret').update(`${timestamp}.${delivery?.rawBody}`).digest('hex')}`;
    expect(delivery?.headers['x-nexus-signature']).toBe(expected);
  });

  it("refuses a destination outside the project's own share_allowlist (policy narrows the install list)", async () => {
    const correlationId = `narrow-${Date.now()}`;
    const reports = await approveShare({ org_id: 'acme', project_id: 'narrow' }, correlationId, { x: 1 });
    const failed = reports.find((r): r is ReportOf<'task_failed'> => r.report_type === 'task_failed');
    expect(failed?.payload.error.code).toBe('destination_not_allowed');
    expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(0);
  });
});
