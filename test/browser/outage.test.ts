import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis } from '../support/private-redis.js';
import { curlCommand, DashboardNexus, launchBrowser, newPage, screenshot, waitForConnection, waitForStatus } from './harness.js';

const tenant = { org_id: 'acme', project_id: 'redis-outage' };
// Every role of this NEXUS uses a Redis of the test's own, so the test may kill it.
const redis = await PrivateRedis.start();
const nexus = new DashboardNexus('ui-redis-outage', { REDIS_URL: redis.url });
let browser: Browser;

beforeAll(async () => {
  await nexus.start();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  // Stopping NEXUS (and cleaning its keys) needs its Redis back if a failed test left it down.
  await redis.restart();
  await nexus.stop();
  await redis.remove();
});

const dashboardUrl = () => `${nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`;

describe('the dashboard while its report store is down', () => {
  it('never says live or "no commands" during a Redis outage: a banner says what is wrong, and it recovers by itself', async () => {
    const open = await newPage(browser);
    const page = open.page;
    await page.goto(dashboardUrl());
    await waitForConnection(page, /^live$/);
    await expect(page.locator('#timeline-empty').textContent()).resolves.toMatch(/^No commands yet/);
    const correlationId = `before-outage-${Date.now()}`;
    expect((await curlCommand(nexus.baseUrl, tenant, { type: 'agent.run', agent: 'echo', params: {}, correlation_id: correlationId })).status).toBe(202);
    await waitForStatus(page, correlationId, 'completed');
    await expect(page.locator('#outage-banner').isHidden()).resolves.toBe(true);

    await redis.kill();
    await waitForConnection(page, /^reconnecting \(attempt \d+\)$/, 20_000);
    const banner = page.locator('#outage-banner');
    await banner.waitFor({ state: 'visible', timeout: 5_000 });
    const said = await banner.textContent();
    expect(said).toContain('Not receiving reports.');
    expect(said).toContain('The report store (Redis) does not answer');
    expect(said).toMatch(/it was last up to date at /);
    // What it had stays on the page, marked as possibly stale, not wiped.
    await waitForStatus(page, correlationId, 'completed');

    // A page opened during the outage claims neither a live stream nor an empty history.
    const fresh = await newPage(browser);
    await fresh.page.goto(dashboardUrl());
    await fresh.page.locator('#timeline-empty[data-state="unavailable"]').waitFor({ timeout: 20_000 });
    await expect(fresh.page.locator('#timeline-empty').textContent()).resolves.toContain('Commands cannot be loaded right now (the report store (Redis) does not answer).');
    await expect(fresh.page.locator('#outage-banner').textContent()).resolves.toContain('Nothing could be loaded yet.');
    await expect(fresh.page.locator('#connection').textContent()).resolves.not.toBe('live');
    await expect(fresh.page.locator('article.card').count()).resolves.toBe(0);
    await screenshot(fresh.page, 'redis-outage', false);

    await redis.restart();
    for (const p of [page, fresh.page]) {
      await waitForConnection(p, /^live$/, 30_000);
      await expect(p.locator('#outage-banner').isHidden()).resolves.toBe(true);
    }
    // The fresh page now has the history it could not load, and it survived the restart in Redis.
    await waitForStatus(fresh.page, correlationId, 'completed');
    await expect(fresh.page.locator('#timeline-empty').isHidden()).resolves.toBe(true);
    expect([...open.errors, ...fresh.errors]).toEqual([]);
    await open.context.close();
    await fresh.context.close();
  });
});
