import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../contracts/index.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { REDIS_URL } from '../support/nexus-under-test.js';
import { curlCommand, DashboardNexus, launchBrowser, newPage, screenshot, waitForConnection, waitForStatus } from './harness.js';

const tenant = { org_id: 'acme', project_id: 'outage' };
const nexus = new DashboardNexus('ui-outage');
let browser: Browser;
let redis: Redis;

beforeAll(async () => {
  await nexus.start();
  browser = await launchBrowser();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await browser?.close();
  await redis?.quit();
  await nexus.stop();
});

/** Everything Redis holds for the tenant: the truth the page must match row for row. */
async function storedReports(): Promise<Report[]> {
  const entries = await redis.xrange(new RedisKeys(nexus.env.NEXUS_REDIS_PREFIX ?? '').reports(tenant), '-', '+');
  return entries.map(([, fields]) => {
    const index = fields.indexOf('report');
    return JSON.parse(fields[index + 1] ?? 'null') as Report;
  });
}

async function terminalCount(correlationIds: string[]): Promise<number> {
  const reports = await storedReports();
  return correlationIds.filter((id) => reports.some((r) => r.correlation_id === id && r.report_type === 'task_completed')).length;
}

describe('the dashboard across an API outage', () => {
  it('shows reconnecting, then every report produced during the outage exactly once', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`);
    await waitForConnection(page, /^live$/);

    const stamp = Date.now();
    const before = [`before-1-${stamp}`, `before-2-${stamp}`];
    for (const id of before) {
      expect((await curlCommand(nexus.baseUrl, tenant, { type: 'agent.run', agent: 'echo', params: { id }, correlation_id: id })).status).toBe(202);
    }
    for (const id of before) await waitForStatus(page, id, 'completed');

    // One command is mid-flight when the API goes away; it finishes during the outage.
    const slow = `slow-${stamp}`;
    expect((await curlCommand(nexus.baseUrl, tenant, { type: 'agent.run', agent: 'sleep', params: { ms: 2500 }, correlation_id: slow })).status).toBe(202);
    await waitForStatus(page, slow, 'running');

    await nexus.stopApi();
    await waitForConnection(page, /^reconnecting \(attempt \d+\)$/, 10_000);
    // First the open stream is cut, then new attempts are refused: the banner says each in words.
    await expect.poll(() => page.locator('#outage-banner').textContent(), { timeout: 10_000 }).toMatch(/The connection to the NEXUS API was lost|The NEXUS API cannot be reached/);

    const during = Array.from({ length: 5 }, (_, i) => `during-${i + 1}-${stamp}`);
    for (const id of during) {
      const sent = await curlCommand(nexus.side.baseUrl, tenant, { type: 'agent.run', agent: 'echo', params: { id }, correlation_id: id });
      expect(sent.status).toBe(202);
    }
    const all = [...before, slow, ...during];
    await expect.poll(() => terminalCount(all), { timeout: 30_000, interval: 200 }).toBe(all.length);
    // The page keeps trying (with backoff) and still shows none of it.
    await waitForConnection(page, /^reconnecting \(attempt [2-9]\d*\)$/, 15_000);
    for (const id of during) await expect(page.locator(`article.card[data-correlation-id="${id}"]`).count()).resolves.toBe(0);
    await expect(page.locator(`article.card[data-correlation-id="${slow}"]`).getAttribute('data-status')).resolves.toBe('running');
    await screenshot(page, 'reconnecting');

    await nexus.startApi();
    await waitForConnection(page, /^live$/, 20_000);
    await expect(page.locator('#outage-banner').isHidden()).resolves.toBe(true);
    for (const id of all) await waitForStatus(page, id, 'completed');

    const stored = await storedReports();
    const rows = await page.$$eval('.report-row', (els) => els.map((el) => (el as HTMLElement).dataset.reportId ?? ''));
    expect(rows).toHaveLength(stored.length);
    expect(new Set(rows).size).toBe(rows.length);
    expect([...rows].sort()).toEqual(stored.map((r) => r.report_id).sort());
    await expect(page.locator('article.card').count()).resolves.toBe(all.length);
    for (const id of during) {
      expect(await page.locator(`article.card[data-correlation-id="${id}"] .report-row .rtype`).allTextContents()).toEqual([
        'command_accepted', 'task_started', 'task_completed',
      ]);
    }
    await screenshot(page, 'after-outage');
    expect(errors).toEqual([]);
    await context.close();
  });
});
