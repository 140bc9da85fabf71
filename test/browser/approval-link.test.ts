import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../support/nexus-under-test.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { browserSuite, card, curlCommand, newPage, screenshot, waitForConnection, waitForStatus } from './harness.js';

/**
 * An approval link from the dashboard to a phone: whoever sits at the dashboard makes a link for the principal, who
 * is not there; on a phone-sized browser in Korean the principal reads the ask (no login) and approves with one tap.
 * The share runs once; the link then refuses a second use.
 */
const receiver = new WebhookReceiver();
const hookUrl = await receiver.start();
const PUBLIC_URL = 'https://nexus.hanbit.example';
const env = isolatedEnv('ui-links', { NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin, PUBLIC_URL });
const tenant = { org_id: 'hanbit-school', project_id: `links-${Date.now()}` };
const suite = browserSuite(env, () => receiver.stop());
const home = () => `${suite.nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`;
const heading = (page: Page) => page.evaluate(() => document.querySelector('h1')?.textContent ?? '');

describe('an approval link, made in the dashboard and used on a phone', () => {
  it('shows the principal the ask on a phone and decides with one tap, once', async () => {
    const desk = await newPage(suite.browser);
    await desk.page.goto(home());
    await waitForConnection(desk.page, /^live$/);
    const correlationId = `link-${Date.now()}`;
    const sent = await curlCommand(suite.nexus.baseUrl, tenant, {
      type: 'agent.run', agent: 'external_share', correlation_id: correlationId,
      params: { url: `${hookUrl}/hook/${correlationId}`, payload: { grades: [90, 85], class: '3-A' } },
    });
    expect(sent.status).toBe(202);
    await waitForStatus(desk.page, correlationId, 'waiting');

    const ask = desk.page.locator('article.ask', { hasText: correlationId });
    await ask.locator('details.ask-link summary').click();
    await ask.locator('input.link-for').fill('principal-park');
    await ask.locator('button.make-link').click();
    await ask.locator('input.link-url').waitFor({ timeout: 15_000 });
    await expect(ask.locator('.link-result p').textContent()).resolves.toBe('Link for principal-park, usable once:');
    const url = await ask.locator('input.link-url').inputValue();
    expect(url.startsWith(`${PUBLIC_URL}/approve/`)).toBe(true);
    // PUBLIC_URL names where people reach NEXUS; here that is the test's own port.
    const link = `${suite.nexus.baseUrl}${new URL(url).pathname}`;

    const phone = await newPage(suite.browser, { locale: 'ko-KR', width: 390 });
    await phone.page.goto(link);
    await expect(heading(phone.page)).resolves.toBe('승인 요청');
    const shown = await phone.page.textContent('main');
    expect(shown).toContain('external_share');
    expect(shown).toContain(`${hookUrl}/hook/${correlationId}`);
    expect(shown).toContain('principal-park 님께 온 요청입니다');
    await screenshot(phone.page, 'approval-link-phone');
    expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(0);

    await phone.page.click('button[value=approve]');
    await phone.page.waitForFunction(() => document.querySelector('h1')?.textContent === '결정을 보냈습니다', undefined, { timeout: 15_000 });
    await waitForStatus(desk.page, correlationId, 'completed');
    await expect(card(desk.page, correlationId).locator('.type-ask_resolved .detail').textContent()).resolves.toBe('approved by principal-park');
    expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(1);

    // The link again (the back button, a second tap, a forwarded copy): refused, nothing more runs.
    await phone.page.goto(link);
    await expect(heading(phone.page)).resolves.toBe('이미 사용한 링크입니다');
    expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(1);
    expect([...desk.errors, ...phone.errors]).toEqual([]);
    await phone.context.close();
    await desk.context.close();
  });
});
