import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../support/nexus-under-test.js';
import { NoticeReceiver } from '../support/notice-receiver.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { browserSuite, card, curlCommand, newPage, screenshot, waitForConnection, waitForStatus } from './harness.js';

/**
 * Who NEXUS told, seen in the dashboard: the ask's card lists each approver it told and where, and the one it could
 * not reach, with why; the told approver's link (from their webhook) decides on a phone, and the card goes.
 */
const shares = new WebhookReceiver();
const notices = new NoticeReceiver();
const hookUrl = await shares.start();
const noticeUrl = await notices.start();
notices.statusOf.set('/slack/removed', 404);
const tenant = { org_id: 'hanbit-school', project_id: `told-${Date.now()}` };
const policyDir = mkdtempSync(join(tmpdir(), 'nexus-ui-notices-'));
mkdirSync(join(policyDir, tenant.org_id));
writeFileSync(join(policyDir, tenant.org_id, `${tenant.project_id}.json`), JSON.stringify({
  rules: [],
  approval: {
    notify: [
      { channel: 'webhook', url: `${noticeUrl}/hooks/principal`, approver: 'principal-park' },
      { channel: 'slack', url: `${noticeUrl}/slack/removed`, approver: 'vice-lee' },
    ],
  },
}));
const env = isolatedEnv('ui-notices', {
  NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin,
  NEXUS_POLICY_DIR: policyDir,
  NEXUS_NOTIFY_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
});
const suite = browserSuite(env, async () => {
  await shares.stop();
  await notices.stop();
});

describe('who NEXUS told, in the dashboard', () => {
  it('lists on the ask whom NEXUS told and whom it could not reach; the told approver decides from their message', async () => {
    const desk = await newPage(suite.browser);
    await desk.page.goto(`${suite.nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`);
    await waitForConnection(desk.page, /^live$/);
    const correlationId = `told-${Date.now()}`;
    const sent = await curlCommand(suite.nexus.baseUrl, tenant, {
      type: 'agent.run', agent: 'external_share', correlation_id: correlationId,
      params: { url: `${hookUrl}/hook/${correlationId}`, payload: { grades: [90, 85] } },
    });
    expect(sent.status).toBe(202);
    await waitForStatus(desk.page, correlationId, 'waiting');

    const ask = desk.page.locator('article.ask', { hasText: correlationId });
    await ask.locator('ul.notices li').nth(1).waitFor({ timeout: 15_000 });
    const lines = (await ask.locator('ul.notices li').allTextContents()).sort();
    expect(lines).toEqual(['✓ principal-park told by webhook', '✗ vice-lee not reached by Slack: Slack answered 404']);
    await screenshot(desk.page, 'ask-notices');

    const [message] = notices.to('/hooks/principal');
    const link = (message?.body as { data: { link: string } }).data.link;
    const phone = await newPage(suite.browser, { locale: 'ko-KR', width: 390 });
    await phone.page.goto(`${suite.nexus.baseUrl}${new URL(link).pathname}`);
    await phone.page.click('button[value=approve]');
    await phone.page.waitForFunction(() => document.querySelector('h1')?.textContent === '결정을 보냈습니다', undefined, { timeout: 15_000 });
    await waitForStatus(desk.page, correlationId, 'completed');
    await expect(card(desk.page, correlationId).locator('.type-ask_resolved .detail').textContent()).resolves.toBe('approved by principal-park');
    expect(await desk.page.locator('article.ask', { hasText: correlationId }).count()).toBe(0);
    expect(shares.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(1);
    expect([...desk.errors, ...phone.errors]).toEqual([]);
    await phone.context.close();
    await desk.context.close();
  });
});
