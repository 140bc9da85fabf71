import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../support/nexus-under-test.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { browserSuite, curlCommand, newPage, screenshot, waitForConnection, waitForStatus } from './harness.js';

/**
 * Deciding several asks at once in the inbox: the approver ticks the ones to decide, one click approves them, each
 * is decided on its own (the stream resolves each), the unticked one still waits.
 */
const shares = new WebhookReceiver();
const hookUrl = await shares.start();
const tenant = { org_id: 'hanbit-school', project_id: `batch-${Date.now()}` };
const env = isolatedEnv('ui-batch', { NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin });
const suite = browserSuite(env, async () => {
  await shares.stop();
});

describe('batch decisions, in the dashboard', () => {
  it('ticks two of three asks and approves them with one click; the third still waits', async () => {
    const { page, errors, context } = await newPage(suite.browser);
    await page.goto(`${suite.nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`);
    await waitForConnection(page, /^live$/);
    await page.fill('#approver', 'principal-park');
    const bar = page.locator('#inbox .batch');
    const labels = ['class-3a', 'class-3b', 'class-3c'];
    const sent: string[] = [];
    for (const label of labels) {
      const correlationId = `${label}-${Date.now()}`;
      const res = await curlCommand(suite.nexus.baseUrl, tenant, {
        type: 'agent.run', agent: 'external_share', correlation_id: correlationId,
        params: { url: `${hookUrl}/hook/${label}`, payload: { class: label } },
      });
      expect(res.status).toBe(202);
      await waitForStatus(page, correlationId, 'waiting');
      sent.push(correlationId);
    }
    await bar.waitFor();
    await expect(bar.locator('.batch-count').textContent()).resolves.toBe('0 selected');
    expect(await bar.locator('.batch-approve').isDisabled()).toBe(true);
    for (const correlationId of sent.slice(0, 2)) await page.locator('article.ask', { hasText: correlationId }).locator('input.pick').check();
    await expect(bar.locator('.batch-count').textContent()).resolves.toBe('2 selected');
    await screenshot(page, 'batch-selected');
    await bar.locator('#batch-reason').fill('the weekly grades');
    await bar.locator('.batch-approve').click();
    for (const correlationId of sent.slice(0, 2)) await waitForStatus(page, correlationId, 'completed');
    await waitForStatus(page, sent[2]!, 'waiting');
    expect(await page.locator('article.ask').count()).toBe(1);
    // One ask left: nothing to choose between, so the bar goes away.
    expect(await bar.isHidden()).toBe(true);
    expect(shares.deliveries.filter((d) => sent.slice(0, 2).includes(d.correlationId ?? ''))).toHaveLength(2);
    expect(shares.deliveries.filter((d) => d.correlationId === sent[2])).toHaveLength(0);
    await page.locator('article.ask', { hasText: sent[2]! }).locator('button.deny').click();
    await waitForStatus(page, sent[2]!, 'denied');
    expect(errors).toEqual([]);
    await context.close();
  });
});
