import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportOf } from '../../contracts/index.js';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'ssrf' };
const receiver = new WebhookReceiver();
// `localhost` is allowlisted by name, but its address (127.0.0.1) is not: the connect-time guard must refuse it.
const env = isolatedEnv('ssrf', { NEXUS_SHARE_ALLOWLIST: 'localhost,hooks.example.org' });
let nexus: RunningNexus;
let port: string;

beforeAll(async () => {
  port = new URL(await receiver.start()).port;
  nexus = await bootNexus(env, testLogger(env).logger);
});
afterAll(async () => {
  await nexus?.stop();
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
