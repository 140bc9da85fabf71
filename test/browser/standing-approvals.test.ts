import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../support/nexus-under-test.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { browserSuite, card, curlCommand, newPage, screenshot, waitForConnection, waitForStatus } from './harness.js';

/**
 * Standing approvals in the dashboard: from an ask's card, approve the same action ahead of time; the list shows it;
 * the same action asked again is approved without anyone (the timeline says by which standing approval) and the list
 * counts the use; revoked from the list, the next one waits for a person again.
 */
const shares = new WebhookReceiver();
const hookUrl = await shares.start();
const tenant = { org_id: 'hanbit-school', project_id: `ahead-${Date.now()}` };
const env = isolatedEnv('ui-standing', { NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin });
const suite = browserSuite(env, async () => {
  await shares.stop();
});

describe('standing approvals, in the dashboard', () => {
  it('approve ahead from an ask, see it used in the timeline and counted in the list, revoke it there', async () => {
    const { page, errors, context } = await newPage(suite.browser);
    await page.goto(`${suite.nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`);
    await waitForConnection(page, /^live$/);
    await page.fill('#approver', 'principal-park');
    await page.locator('#standing-body .empty').waitFor();
    const share = async (label: string) => {
      const correlationId = `${label}-${Date.now()}`;
      const sent = await curlCommand(suite.nexus.baseUrl, tenant, {
        type: 'agent.run', agent: 'external_share', correlation_id: correlationId,
        params: { url: `${hookUrl}/hook/weekly-grades`, payload: { week: 49 } },
      });
      expect(sent.status).toBe(202);
      return correlationId;
    };

    const first = await share('first');
    await waitForStatus(page, first, 'waiting');
    const ask = page.locator('article.ask', { hasText: first });
    await ask.locator('details.ask-ahead summary').click();
    await ask.locator('.make-ahead').click();
    await expect(ask.locator('.ahead-result').textContent()).resolves.toMatch(/^Say why/);
    await ask.locator('.ahead-why').fill('the weekly grades go to the portal');
    await ask.locator('.make-ahead').click();
    await ask.locator('.ahead-result', { hasText: 'Approved ahead' }).waitFor();
    const item = page.locator('#standing-list li.standing-active');
    await item.waitFor();
    await expect(item.locator('.standing-what').textContent()).resolves.toMatch(/^external_share · exactly this action \(sha256:/);
    await expect(item.locator('.standing-uses').textContent()).resolves.toBe('used 0 times');
    await screenshot(page, 'standing-made');
    await ask.locator('button.approve').click();
    await waitForStatus(page, first, 'completed');

    const second = await share('second');
    await waitForStatus(page, second, 'completed');
    const id = await item.getAttribute('data-standing-id');
    await expect(card(page, second).locator('.type-ask_resolved .detail').textContent())
      .resolves.toBe(`approved by principal-park ahead of time (standing approval ${id ?? ''}): “the weekly grades go to the portal”`);
    expect(await page.locator('article.ask', { hasText: second }).count()).toBe(0);
    await item.locator('.standing-uses', { hasText: 'used once' }).waitFor();
    await screenshot(page, 'standing-used');

    await item.locator('.standing-revoke').click();
    await page.locator('#standing-list li.standing-revoked').waitFor();
    await expect(page.locator('#standing-list li.standing-revoked .hint').textContent()).resolves.toBe('Revoked by principal-park');
    const third = await share('third');
    await waitForStatus(page, third, 'waiting');
    await page.locator('article.ask', { hasText: third }).locator('button.deny').click();
    await waitForStatus(page, third, 'denied');
    expect(shares.deliveries.filter((d) => [first, second, third].includes(d.correlationId ?? ''))).toHaveLength(2);
    expect(errors).toEqual([]);
    await context.close();
  });
});
