import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ReportOf } from '../../contracts/index.js';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'ssrf' };
/** The destination every allowlist below is about. */
const receiver = new WebhookReceiver();
/** Another port on the same 127.0.0.1: it must count zero deliveries unless a test allows it on purpose. */
const otherReceiver = new WebhookReceiver();
// Allowlists name ports, and the receivers' ports are known only once they listen: set in beforeAll, before boot.
const env = isolatedEnv('ssrf');
const policyDir = mkdtempSync(join(tmpdir(), 'nexus-share-policy-'));
mkdirSync(join(policyDir, 'acme'));
const writePolicy = (project: string, shareAllowlist: string[]) =>
  writeFileSync(join(policyDir, 'acme', `${project}.json`), JSON.stringify({ rules: [], share_allowlist: shareAllowlist }));
const signingEnv = isolatedEnv('share-sign', { NEXUS_SHARE_SIGNING_SECRET: 's3cret', NEXUS_POLICY_DIR: policyDir });
let nexus: RunningNexus;
let signing: RunningNexus;
let port: string;
let otherPort: string;

beforeAll(async () => {
  port = new URL(await receiver.start()).port;
  otherPort = new URL(await otherReceiver.start()).port;
  // `localhost` is allowlisted by name, but its address (127.0.0.1) only for the path /inbox: the connect-time guard
  // must refuse `http://localhost:<port>/hook`. `hooks.example.org` is the old bare form (https, port 443).
  env.NEXUS_SHARE_ALLOWLIST = `http://localhost:${port},hooks.example.org,http://127.0.0.1:${port}/inbox`;
  // Both receivers, every path: here the projects' policy files do the narrowing.
  signingEnv.NEXUS_SHARE_ALLOWLIST = `http://127.0.0.1:${port},http://127.0.0.1:${otherPort}`;
  writePolicy('narrow', ['partner.example.org']);
  writePolicy('inbox-only', [`http://127.0.0.1:${port}/inbox`]);
  writePolicy('late-narrow', [`http://127.0.0.1:${port}`]);
  writePolicy('broken', [`127.0.0.1:${port}`]);
  const { logger } = testLogger(env);
  nexus = await bootNexus(env, logger);
  signing = await bootNexus(signingEnv, logger);
});
afterAll(async () => {
  await nexus?.stop();
  await signing?.stop();
  await cleanupEnv(signingEnv);
  await receiver.stop();
  await otherReceiver.stop();
  await cleanupEnv(env);
});

const share = (url: string, payload: unknown = { a: 1 }, correlation_id?: string) =>
  post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'external_share', params: { url, payload }, ...(correlation_id ? { correlation_id } : {}) }, tenant);
const deliveriesFor = (r: WebhookReceiver, correlationId: string) => r.deliveries.filter((d) => d.correlationId === correlationId);
const find = <T extends Report['report_type']>(reports: Report[], type: T) => reports.find((r): r is ReportOf<T> => r.report_type === type);
const terminal = (rs: Report[]) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed' || r.report_type === 'task_cancelled');

/**
 * Sends a share and, if it stops at an ask, runs `beforeDecision` and approves it through the API with the digest
 * the approver saw (external_share is RED). Returns every report of the command.
 */
async function shareAndApprove(
  target: RunningNexus,
  t: { org_id: string; project_id: string },
  url: string,
  payload: unknown = { x: 1 },
  beforeDecision: () => void = () => undefined,
): Promise<{ correlationId: string; reports: Report[] }> {
  const correlationId = `share-${t.project_id}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const stream = await SseRecorder.open(target.baseUrl, t, { correlationId });
  const res = await post(target.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'external_share', params: { url, payload }, correlation_id: correlationId }, t);
  expect(res.status).toBe(202);
  const first = await stream.waitFor((rs) => terminal(rs) || rs.some((r) => r.report_type === 'ask_created'), 20_000, 'ask or end');
  const ask = find(first, 'ask_created');
  if (ask && !terminal(first)) {
    beforeDecision();
    const decided = await post(target.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { decision: 'approve', action_digest: ask.payload.action_digest }, t);
    expect(decided.status).toBe(202);
  }
  const reports = await stream.waitFor(terminal, 20_000, 'a terminal report');
  stream.close();
  return { correlationId, reports };
}

describe('external_share refuses internal destinations', () => {
  it.each([
    ['loopback by IP', 'http://127.0.0.1:9/x'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['a private range', 'http://10.0.0.5/hook'],
    ['IPv6 loopback', 'http://[::1]/x'],
    ['a host not on the allowlist', 'https://evil.example.com/collect'],
    ['a non-http scheme', 'file:///etc/passwd'],
    ['user info that hides the real host', 'https://hooks.example.org@evil.example.com/'],
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
    const { correlationId, reports } = await shareAndApprove(nexus, tenant, `http://localhost:${port}/hook`, { secret: 1 });
    expect(find(reports, 'ask_created')).toBeDefined();
    expect(find(reports, 'task_failed')?.payload.error).toMatchObject({ code: 'destination_not_allowed', retryable: false });
    expect(find(reports, 'task_failed')?.payload.error.message).toMatch(/internal address that is not allowlisted/);
    expect(deliveriesFor(receiver, correlationId)).toHaveLength(0);
  });
});

describe('allowlist entries name scheme, host, port and path', () => {
  it('delivers to the allowed path, and the approver saw that exact destination', async () => {
    const { correlationId, reports } = await shareAndApprove(nexus, tenant, `http://127.0.0.1:${port}/inbox/./report`, { grades: [90] });
    const ask = find(reports, 'ask_created');
    expect(ask?.payload.title).toBe(`Share data with 127.0.0.1:${port}`);
    expect(ask?.payload.description).toContain(`to http://127.0.0.1:${port}/inbox/report `);
    expect(ask?.payload.preview).toMatchObject({ destination: { scheme: 'http', host: '127.0.0.1', port: Number(port), path: '/inbox/report' } });
    expect(find(reports, 'task_completed')?.payload.result).toEqual({ delivered: true, status: 200, url: `http://127.0.0.1:${port}/inbox/report` });
    expect(deliveriesFor(receiver, correlationId).map((d) => d.body)).toEqual([{ grades: [90] }]);
  });

  it.each([
    ['another port on the same address', () => `http://127.0.0.1:${otherPort}/inbox`],
    ['another path', () => `http://127.0.0.1:${port}/other`],
    ['a path that only starts like the prefix', () => `http://127.0.0.1:${port}/inbox-evil`],
    ['a dot segment out of the prefix', () => `http://127.0.0.1:${port}/inbox/%2e%2e/other`],
    ['an encoded slash', () => `http://127.0.0.1:${port}/inbox%2F..%2Fother`],
    ['https instead of http', () => `https://127.0.0.1:${port}/inbox`],
  ])('refuses %s at submission (400 naming the normalized destination, nothing starts)', async (_name, url) => {
    const before = receiver.deliveries.length + otherReceiver.deliveries.length;
    const res = await share(url());
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_params');
    expect(res.body.error.issues[0].path).toBe('params.url');
    expect(receiver.deliveries.length + otherReceiver.deliveries.length).toBe(before);
  });
});

describe("a project's share_allowlist narrows the install-wide list", () => {
  const t = (project_id: string) => ({ org_id: 'acme', project_id });

  it('delivers where both lists allow', async () => {
    const { correlationId, reports } = await shareAndApprove(signing, t('inbox-only'), `http://127.0.0.1:${port}/inbox/x`);
    expect(find(reports, 'task_completed')).toBeDefined();
    expect(deliveriesFor(receiver, correlationId)).toHaveLength(1);
  });

  it.each([
    ['another port on 127.0.0.1', () => `http://127.0.0.1:${otherPort}/inbox`],
    ['the /other path', () => `http://127.0.0.1:${port}/other`],
    ['a path that only starts like the prefix', () => `http://127.0.0.1:${port}/inbox-evil`],
  ])('refuses %s with task_failed destination_not_allowed — before any ask, with zero deliveries', async (_name, url) => {
    const { correlationId, reports } = await shareAndApprove(signing, t('inbox-only'), url());
    expect(find(reports, 'ask_created')).toBeUndefined();
    expect(find(reports, 'task_failed')?.payload.error).toMatchObject({ code: 'destination_not_allowed', retryable: false });
    expect(deliveriesFor(receiver, correlationId)).toHaveLength(0);
    expect(deliveriesFor(otherReceiver, correlationId)).toHaveLength(0);
  });

  it('refuses at run time when the policy narrowed while the ask waited (approved, still zero deliveries)', async () => {
    const file = join(policyDir, 'acme', 'late-narrow.json');
    const { correlationId, reports } = await shareAndApprove(signing, t('late-narrow'), `http://127.0.0.1:${port}/other`, { y: 1 }, () => {
      writePolicy('late-narrow', [`http://127.0.0.1:${port}/inbox`]);
      // Policies are cached by modification time; make sure this edit is seen even within the same millisecond.
      const later = new Date(Date.now() + 5_000);
      utimesSync(file, later, later);
    });
    expect(find(reports, 'ask_created')).toBeDefined();
    expect(find(reports, 'ask_resolved')?.payload.decision).toBe('approve');
    expect(find(reports, 'task_failed')?.payload.error).toMatchObject({ code: 'destination_not_allowed', retryable: false });
    expect(find(reports, 'task_failed')?.payload.error.message).toMatch(/not on this project's share_allowlist/);
    expect(deliveriesFor(receiver, correlationId)).toHaveLength(0);
  });

  it('fails with policy_invalid when a share_allowlist entry does not parse', async () => {
    const { correlationId, reports } = await shareAndApprove(signing, t('broken'), `http://127.0.0.1:${port}/inbox`);
    expect(find(reports, 'task_failed')?.payload.error.code).toBe('policy_invalid');
    expect(deliveriesFor(receiver, correlationId)).toHaveLength(0);
  });

  it("refuses a destination outside the project's own list (old bare entry: https on 443 only)", async () => {
    const { correlationId, reports } = await shareAndApprove(signing, t('narrow'), `http://127.0.0.1:${port}/signed`);
    expect(find(reports, 'task_failed')?.payload.error.code).toBe('destination_not_allowed');
    expect(deliveriesFor(receiver, correlationId)).toHaveLength(0);
  });
});

describe('external_share toward an allowed destination', () => {
  it('signs the body with HMAC-SHA256 over timestamp and body', async () => {
    const { correlationId } = await shareAndApprove(signing, tenant, `http://127.0.0.1:${port}/signed`, { grades: [1] });
    const delivery = deliveriesFor(receiver, correlationId)[0];
    const timestamp = String(delivery?.headers['x-nexus-timestamp']);
    const expected = `sha256=${createHmac('sha256', 's3cret').update(`${timestamp}.${delivery?.rawBody}`).digest('hex')}`;
    expect(delivery?.headers['x-nexus-signature']).toBe(expected);
  });
});
