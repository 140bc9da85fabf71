import { describe, expect, it } from 'vitest';
import { FakeLlmServer } from '../support/fake-llm-server.js';
import { isolatedEnv } from '../support/nexus-under-test.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { browserSuite, curlCommand, newPage, screenshot, waitForConnection, waitForStatus } from './harness.js';

/**
 * A plan's RED calls asked about together, in the dashboard: both asks show at once, one click selects the plan's
 * asks (and no other command's), one more approves them, and the plan runs.
 */
const shares = new WebhookReceiver();
const hookUrl = await shares.start();
const llm = new FakeLlmServer('fake-claude');
await llm.start();
const tenant = { org_id: 'hanbit-school', project_id: `plan-${Date.now()}` };
const env = isolatedEnv('ui-plan', {
  NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin,
  ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url, LLM_PRIMARY_PROVIDER: 'anthropic', LLM_TIMEOUT: '2s',
});
const suite = browserSuite(env, async () => {
  await shares.stop();
  await llm.stop();
});

describe('a plan\'s asks, in the dashboard', () => {
  it('selects the plan\'s asks with one click and approves them with another; another command\'s ask still waits', async () => {
    const { page, errors, context } = await newPage(suite.browser);
    await page.goto(`${suite.nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`);
    await waitForConnection(page, /^live$/);
    await page.fill('#approver', 'principal-park');
    const lone = `lone-${Date.now()}`;
    expect((await curlCommand(suite.nexus.baseUrl, tenant, {
      type: 'agent.run', agent: 'external_share', correlation_id: lone, params: { url: `${hookUrl}/hook/lone`, payload: { class: 'lone' } },
    })).status).toBe(202);
    await waitForStatus(page, lone, 'waiting');

    const text = 'share the grades with 3A and 3B';
    llm.reply(text, { toolCalls: [
      { name: 'external_share', input: { url: `${hookUrl}/hook/3a`, payload: { class: '3A' } } },
      { name: 'external_share', input: { url: `${hookUrl}/hook/3b`, payload: { class: '3B' } } },
      { name: 'describe_plan', input: { title: 'Share the grades with two classes', description: 'two shares', language: 'en', suggested_risk: 'GREEN' } },
    ] });
    const plan = `plan-${Date.now()}`;
    expect((await curlCommand(suite.nexus.baseUrl, tenant, { type: 'instruction', text, correlation_id: plan })).status).toBe(202);
    const planAsks = page.locator('article.ask', { hasText: plan });
    await page.waitForFunction(() => document.querySelectorAll('article.ask').length === 3, undefined, { timeout: 30_000, polling: 50 });
    await waitForStatus(page, plan, 'waiting');
    // The lone ask has no plan to select; each of the plan's asks offers its whole plan.
    expect(await page.locator('article.ask', { hasText: lone }).locator('button.pick-plan').isHidden()).toBe(true);
    await expect(planAsks.first().locator('button.pick-plan').textContent()).resolves.toBe('Select all 2 asks of this plan');
    await planAsks.first().locator('button.pick-plan').click();
    const bar = page.locator('#inbox .batch');
    await expect(bar.locator('.batch-count').textContent()).resolves.toBe('2 selected');
    expect(await page.locator('article.ask', { hasText: lone }).locator('input.pick').isChecked()).toBe(false);
    await screenshot(page, 'plan-asks-selected');
    await bar.locator('.batch-approve').click();
    await waitForStatus(page, plan, 'completed');
    await waitForStatus(page, lone, 'waiting');
    expect(shares.deliveries.filter((d) => d.correlationId === plan).map((d) => d.body)).toEqual([{ class: '3A' }, { class: '3B' }]);
    expect(shares.deliveries.filter((d) => d.correlationId === lone)).toHaveLength(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
