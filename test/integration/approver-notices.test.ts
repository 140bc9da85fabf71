import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFY_FAILURES, type Report, type ReportOf } from '../../contracts/index.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { auditEntries } from '../support/audit-entries.js';
import { NoticeReceiver, type NoticeRequest } from '../support/notice-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, testRedis, type RunningNexus } from '../support/nexus-under-test.js';
import { sendShare } from '../support/red-share.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Approvers told where they are: the tenant's policy file names a signed webhook and Slack incoming webhooks per
 * approver; a RED ask goes out to each with a link of its own, the outcomes go on the stream, a link from a
 * message decides, and a channel that fails changes nothing about the ask. A whole NEXUS on the real services;
 * the receivers are local HTTP servers.
 */
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const notices = new NoticeReceiver();
const smtpLogin = { user: 'nexus@school.example', pass: randomBytes(12).toString('base64url') };
const smtp = new SmtpSink(smtpLogin);
const shares = new WebhookReceiver();
const policyDir = mkdtempSync(join(tmpdir(), 'nexus-notices-'));
const PUBLIC_URL = 'https://nexus.school.example';
const env = isolatedEnv('notices', {
  NEXUS_POLICY_DIR: policyDir,
  NEXUS_NOTIFY_WEBHOOK_SECRET: secret,
  NEXUS_NOTIFY_RETRY_INTERVAL: '100ms',
  NEXUS_NOTIFY_MAX_ATTEMPTS: '3',
  PUBLIC_URL,
});
const { logger, logFile } = testLogger(env);
const keys = new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '');
const tenant = { org_id: 'school', project_id: 'grade-3' };
const staged = { org_id: 'school', project_id: 'staged' };
const mailed = { org_id: 'school', project_id: 'mailed' };
let nexus: RunningNexus;
let redis: Redis;
let base: string;
let hookUrl: string;

beforeAll(async () => {
  base = await notices.start();
  hookUrl = await shares.start();
  const smtpPort = await smtp.start();
  env.NEXUS_SMTP_URL = `smtp://${encodeURIComponent(smtpLogin.user)}:${encodeURIComponent(smtpLogin.pass)}@127.0.0.1:${smtpPort}`;
  env.NEXUS_SMTP_FROM = 'NEXUS <nexus@school.example>';
  smtp.refuse.set('full@school.example', 452);
  smtp.refuse.set('nobody@school.example', 550);
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  notices.statusOf.set('/hooks/down', 503);
  notices.statusOf.set('/slack/removed', 404);
  mkdirSync(join(policyDir, 'school'));
  writeFileSync(join(policyDir, 'school', 'grade-3.json'), JSON.stringify({
    rules: [],
    approval: {
      notify: [
        { channel: 'webhook', url: `${base}/hooks/principal`, approver: 'principal-park' },
        { channel: 'slack', url: `${base}/slack/T01/B01/vice`, approver: 'vice-lee', stages: ['ask'] },
        { channel: 'webhook', url: `${base}/hooks/down`, approver: 'teacher-kim' },
        { channel: 'slack', url: `${base}/slack/removed`, approver: 'admin-choi', stages: ['ask'] },
      ],
    },
  }));
  // An ask of a minute: reminded after 2 s, escalated after 3 s.
  writeFileSync(join(policyDir, 'school', 'staged.json'), JSON.stringify({
    rules: [],
    approval: {
      reminder_before: '58s',
      escalate_before: '57s',
      notify: [
        { channel: 'webhook', url: `${base}/hooks/staged-principal`, approver: 'principal-park' },
        { channel: 'webhook', url: `${base}/hooks/staged-admin`, approver: 'admin-choi', stages: ['escalation'] },
      ],
    },
  }));
  writeFileSync(join(policyDir, 'school', 'mailed.json'), JSON.stringify({
    rules: [],
    approval: {
      notify: [
        { channel: 'email', to: 'principal@school.example', approver: 'principal-park', locale: 'ko' },
        { channel: 'email', to: 'full@school.example', approver: 'teacher-kim' },
        { channel: 'email', to: 'nobody@school.example', approver: 'admin-choi' },
      ],
    },
  }));
  env.NEXUS_ASK_TIMEOUT = '60s';
  nexus = await bootNexus(env, logger);
  redis = await testRedis();
}, 120_000);

afterAll(async () => {
  await nexus?.stop();
  redis?.disconnect();
  await notices.stop();
  await shares.stop();
  await smtp.stop();
  await cleanupEnv(env);
});

const notifications = (reports: Report[]) => reports
  .filter((r): r is ReportOf<'task_progress'> => r.report_type === 'task_progress' && r.payload.notification !== undefined)
  .map((r) => r.payload.notification);
/** The approval page's path in a message's link, on this test's API (the link's origin is PUBLIC_URL). */
const pathOf = (link: string) => {
  expect(link.startsWith(`${PUBLIC_URL}/approve/`)).toBe(true);
  return new URL(link).pathname;
};
const webhookData = (request: NoticeRequest) => (request.body as { data: Record<string, string> }).data;
const slackButton = (request: NoticeRequest) => ((request.body as { blocks: Array<{ type: string; elements?: Array<{ url?: string }> }> }).blocks
  .find((b) => b.type === 'actions')?.elements?.[0]?.url ?? '');

describe('approvers told where they are', () => {
  it('sends each approver a signed message with a link of their own; a failing channel is reported and blocks nothing', async () => {
    const share = await sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label: 'notice', headers: { 'x-user-id': 'teacher-requester' } });
    const ask = share.ask.payload;
    const reports = await share.stream.waitFor((rs) => notifications(rs).length === 4, 30_000, 'four notification outcomes');

    // The outcomes on the stream: who was told by what, and who could not be (after 3 attempts, or at once for a 404).
    expect(notifications(reports).map((n) => [n?.approver, n?.channel, n?.status, n?.attempts, n?.error?.code]).sort()).toEqual([
      ['admin-choi', 'slack', 'failed', 1, NOTIFY_FAILURES.refused],
      ['principal-park', 'webhook', 'sent', 1, undefined],
      ['teacher-kim', 'webhook', 'failed', 3, NOTIFY_FAILURES.unavailable],
      ['vice-lee', 'slack', 'sent', 1, undefined],
    ].sort());
    expect(notifications(reports).every((n) => n?.ask_id === ask.ask_id && n.stage === 'ask')).toBe(true);
    expect(reports.map((r) => r.report_type)).not.toContain('ask_resolved');

    // The webhook: Standard Webhooks signature (checked by the reference library), NEXUS's facts of the ask.
    const [hook] = notices.to('/hooks/principal');
    if (!hook) throw new Error('no webhook delivery');
    expect(new Webhook(secret).verify(hook.rawBody, hook.headers as Record<string, string>)).toMatchObject({ type: 'ask.created' });
    expect(hook.headers['x-correlation-id']).toBe(share.correlationId);
    const data = webhookData(hook);
    expect(data).toMatchObject({
      ask_id: ask.ask_id, correlation_id: share.correlationId, org_id: tenant.org_id, project_id: tenant.project_id, stage: 'ask',
      approver: 'principal-park', title: ask.title, risk_level: 'RED', action_digest: ask.action_digest, expires_at: ask.expires_at,
    });
    // The failing receiver was asked three times with one idempotency key.
    const down = notices.to('/hooks/down');
    expect(down).toHaveLength(3);
    expect(new Set(down.map((r) => r.headers['webhook-id']))).toEqual(new Set([`${ask.ask_id}.ask.${notifications(reports).find((n) => n?.approver === 'teacher-kim')?.target}`]));
    expect(notices.to('/slack/removed')).toHaveLength(1);

    // Slack: the facts escaped, one button to the page.
    const [slack] = notices.to('/slack/T01/B01/vice');
    if (!slack) throw new Error('no Slack message');
    expect((slack.body as { text: string }).text).toContain(ask.title);

    // Nothing on the stream, in the audit log or in the logs carries a link.
    const signatureOf = (link: string) => link.slice(link.lastIndexOf('.') + 1);
    const links = [data.link ?? '', slackButton(slack), ...down.map((r) => webhookData(r).link ?? '')];
    const audit = await auditEntries(redis, keys, tenant.org_id);
    for (const link of links) {
      expect(JSON.stringify(reports)).not.toContain(signatureOf(link));
      expect(JSON.stringify(audit)).not.toContain(signatureOf(link));
      expect(readFileSync(logFile, 'utf8')).not.toContain(signatureOf(link));
    }
    // Each message's link was made by NEXUS for its approver, and audited as such (one per attempt).
    expect(audit.filter((e) => e.event === 'link_issued' && e.ask_id === ask.ask_id).map((e) => [e.principal, e.approver, e.channel, e.stage]).sort()).toEqual([
      ['nexus', 'admin-choi', 'slack', 'ask'],
      ['nexus', 'principal-park', 'webhook', 'ask'],
      ['nexus', 'teacher-kim', 'webhook', 'ask'], ['nexus', 'teacher-kim', 'webhook', 'ask'], ['nexus', 'teacher-kim', 'webhook', 'ask'],
      ['nexus', 'vice-lee', 'slack', 'ask'],
    ].sort());

    // The vice principal opens Slack's button: the page, deciding nothing.
    const vicePage = await fetch(new URL(pathOf(slackButton(slack)), nexus.baseUrl), { headers: { accept: 'application/json' } });
    expect(vicePage.status).toBe(200);
    expect(await vicePage.json()).toMatchObject({ ask_id: ask.ask_id, approver: 'vice-lee' });
    // The principal confirms on the webhook's link: that decides, as principal-park.
    const confirmed = await fetch(new URL(pathOf(data.link ?? ''), nexus.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"approve","reason":"ok from my phone"}' });
    expect(confirmed.status).toBe(202);
    const done = await share.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the share approved from the message');
    share.stream.close();
    expect(done.find((r): r is ReportOf<'ask_resolved'> => r.report_type === 'ask_resolved')?.payload).toMatchObject({ decided_by: 'principal-park', decision: 'approve' });
    expect(shares.deliveries.filter((d) => d.correlationId === share.correlationId)).toHaveLength(1);
    // Every notification outcome went out before the decision.
    const types = done.map((r) => r.report_type);
    expect(done.findLastIndex((r) => r.report_type === 'task_progress' && r.payload.notification !== undefined)).toBeLessThan(types.indexOf('ask_resolved'));
    // Now decided: the vice principal's link says so and decides nothing.
    const late = await fetch(new URL(pathOf(slackButton(slack)), nexus.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"deny"}' });
    expect(late.status).toBe(409);
  });

  it('reminds, then escalates to whoever hears only escalations; the escalation\'s link decides as an admin', async () => {
    const share = await sendShare({ baseUrl: nexus.baseUrl, tenant: staged, hookUrl, label: 'staged', headers: { 'x-user-id': 'teacher-requester' } });
    const ask = share.ask.payload;
    await until(async () => notices.to('/hooks/staged-admin').length === 1, 20_000, 'the escalation notice');
    const principal = notices.to('/hooks/staged-principal').map((r) => (r.body as { type: string }).type);
    expect(principal).toEqual(['ask.created', 'ask.reminder']);
    const [escalation] = notices.to('/hooks/staged-admin');
    if (!escalation) throw new Error('no escalation notice');
    expect((escalation.body as { type: string }).type).toBe('ask.escalated');
    expect(webhookData(escalation)).toMatchObject({ ask_id: ask.ask_id, approver: 'admin-choi', stage: 'escalation' });
    // One idempotency key per stage: a reminder is not a retry of the ask's message.
    const ids = [...notices.to('/hooks/staged-principal'), escalation].map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(3);
    const reports = await share.stream.waitFor((rs) => notifications(rs).length === 3, 10_000, 'three notices reported');
    expect(notifications(reports).map((n) => [n?.stage, n?.approver, n?.status])).toEqual([
      ['ask', 'principal-park', 'sent'], ['reminder', 'principal-park', 'sent'], ['escalation', 'admin-choi', 'sent'],
    ]);

    const denied = await fetch(new URL(pathOf(webhookData(escalation).link ?? ''), nexus.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"deny","reason":"not this term"}' });
    expect(denied.status).toBe(202);
    const done = await share.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 30_000, 'the share denied by the admin');
    share.stream.close();
    expect(done.find((r): r is ReportOf<'ask_resolved'> => r.report_type === 'ask_resolved')?.payload).toMatchObject({ decided_by: 'admin-choi', decision: 'deny' });
    expect(shares.deliveries.filter((d) => d.correlationId === share.correlationId)).toHaveLength(0);
  });

  it('e-mails an approver through the mail server (logged in), in their language; a full mailbox is retried, an unknown one is not', async () => {
    const share = await sendShare({ baseUrl: nexus.baseUrl, tenant: mailed, hookUrl, label: 'mailed', headers: { 'x-user-id': 'teacher-requester' } });
    const ask = share.ask.payload;
    const reports = await share.stream.waitFor((rs) => notifications(rs).length === 3, 30_000, 'three e-mail outcomes');
    expect(notifications(reports).map((n) => [n?.approver, n?.channel, n?.status, n?.attempts, n?.error?.code]).sort()).toEqual([
      ['admin-choi', 'email', 'failed', 1, NOTIFY_FAILURES.refused],
      ['principal-park', 'email', 'sent', 1, undefined],
      ['teacher-kim', 'email', 'failed', 3, NOTIFY_FAILURES.unavailable],
    ].sort());
    expect(smtp.tried.filter((a) => a === 'full@school.example')).toHaveLength(3);
    expect(smtp.tried.filter((a) => a === 'nobody@school.example')).toHaveLength(1);

    const [mail] = smtp.to('principal@school.example');
    if (!mail) throw new Error('no e-mail for the principal');
    const target = notifications(reports).find((n) => n?.approver === 'principal-park')?.target;
    expect(mail.from).toBe('nexus@school.example');
    expect(mail.parsed.subject).toBe(`[NEXUS] 승인 요청 (RED): ${ask.title}`);
    expect(mail.parsed.messageId).toBe(`<${ask.ask_id}.ask.${target}@nexus.school.example>`);
    expect(mail.parsed.headers.get('x-correlation-id')).toBe(share.correlationId);
    expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    const link = /https:\/\/nexus\.school\.example\/approve\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/.exec(mail.parsed.text ?? '')?.[0] ?? '';
    expect(mail.parsed.html).toContain(`href="${link}"`);

    const confirmed = await fetch(new URL(pathOf(link), nexus.baseUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' });
    expect(confirmed.status).toBe(202);
    const done = await share.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the share approved from the e-mail');
    share.stream.close();
    expect(done.find((r): r is ReportOf<'ask_resolved'> => r.report_type === 'ask_resolved')?.payload).toMatchObject({ decided_by: 'principal-park' });
    expect(shares.deliveries.filter((d) => d.correlationId === share.correlationId)).toHaveLength(1);
  });

  it('reports a webhook that cannot be signed (no secret) and an e-mail with no mail server, sending neither', async () => {
    // A second NEXUS on the same services, without NEXUS_NOTIFY_WEBHOOK_SECRET nor NEXUS_SMTP_URL.
    const bare = isolatedEnv('notices-unsigned', { NEXUS_POLICY_DIR: policyDir, NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin });
    const other = await bootNexus(bare, testLogger(bare).logger);
    try {
      const before = notices.to('/hooks/principal').length;
      const share = await sendShare({ baseUrl: other.baseUrl, tenant, hookUrl, label: 'unsigned', headers: { 'x-user-id': 'teacher-requester' } });
      const reports = await share.stream.waitFor((rs) => notifications(rs).some((n) => n?.approver === 'principal-park'), 30_000, 'the webhook notice outcome');
      expect(notifications(reports).find((n) => n?.approver === 'principal-park')).toMatchObject({ status: 'failed', attempts: 1, error: { code: NOTIFY_FAILURES.notConfigured } });
      expect(notices.to('/hooks/principal')).toHaveLength(before);
      const cancelled = await post(other.baseUrl, `/commands/${share.workflowId.split('/').pop() ?? ''}/cancel`, {}, tenant, { 'x-user-id': 'teacher-requester' });
      expect(cancelled.status).toBe(202);
      share.stream.close();

      const tried = smtp.tried.length;
      const mail = await sendShare({ baseUrl: other.baseUrl, tenant: mailed, hookUrl, label: 'unmailed', headers: { 'x-user-id': 'teacher-requester' } });
      const mailReports = await mail.stream.waitFor((rs) => notifications(rs).length === 3, 30_000, 'the e-mail notice outcomes');
      mail.stream.close();
      expect(notifications(mailReports).map((n) => [n?.status, n?.attempts, n?.error?.code])).toEqual(Array(3).fill(['failed', 1, NOTIFY_FAILURES.notConfigured]));
      expect(smtp.tried).toHaveLength(tried);
    } finally {
      await other.stop();
      await cleanupEnv(bare);
    }
  });
});
