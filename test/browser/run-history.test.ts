import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Report } from '../../contracts/index.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { ReportStore } from '../../infra/store/report-store.js';
import { SseRecorder } from '../support/sse-client.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, REDIS_URL, testLogger, type RunningNexus } from '../support/nexus-under-test.js';
import { card, launchBrowser, newPage, screenshot, waitForConnection, waitForStatus } from './harness.js';

const env = isolatedEnv('ui-history', { TEMPORAL_UI_URL: 'http://localhost:8233' });
const tenant = { org_id: 'acme', project_id: `history-${Date.now()}` };
let nexus: RunningNexus;
let redis: Redis;
let store: ReportStore;
let browser: Browser;
/** More commands than the first page (500 reports) holds, between the old commands and the recent one. */
const FILLER_COMMANDS = 300;

/** A finished command of the made-up agent `filler`, as its three reports (faster than running 300 real ones). */
async function fillerCommand(n: number): Promise<void> {
  const id = `filler-${String(n).padStart(3, '0')}`;
  const base = { correlation_id: id, command_id: id, workflow_id: `synthetic/${id}`, org_id: tenant.org_id, project_id: tenant.project_id };
  const reports = [
    { report_type: 'command_accepted', payload: { type: 'agent.run', agent: 'filler' } },
    { report_type: 'task_started', payload: { agent: 'filler' } },
    { report_type: 'task_completed', payload: { result: { n }, risk_level: 'GREEN', duration_ms: 5 } },
  ];
  for (const [seq, r] of reports.entries()) {
    await store.append(Report.parse({ ...base, ...r, report_id: `synthetic/${id}:${seq}`, seq, ts: new Date().toISOString() }));
  }
}

async function send(correlationId: string, extra: Record<string, unknown> = {}): Promise<void> {
  const sent = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { correlationId }, correlation_id: correlationId, ...extra }, tenant);
  expect(sent.status).toBe(202);
}

beforeAll(async () => {
  nexus = await bootNexus(env, testLogger(env).logger);
  redis = new Redis(REDIS_URL);
  store = new ReportStore(redis, new RedisKeys(env.NEXUS_REDIS_PREFIX ?? ''), 100_000);
  browser = await launchBrowser();

  // History, oldest first: a RED ask still open, a finished command, 900 reports of filler, a recent command.
  const watch = await SseRecorder.open(nexus.baseUrl, tenant);
  // One after the other: two workflows started together may put their first reports on the stream in either order.
  await send('old-ask', { risk_level: 'RED' });
  await watch.waitFor((rs) => rs.some((r) => r.correlation_id === 'old-ask' && r.report_type === 'ask_created'), 30_000, 'the old ask');
  await send('oldest-done');
  await watch.waitFor((rs) => rs.some((r) => r.correlation_id === 'oldest-done' && r.report_type === 'task_completed'), 30_000, 'the old command');
  // In order, so the list's order is known: newest first means filler-299 right below the recent command.
  for (let n = 0; n < FILLER_COMMANDS; n += 1) await fillerCommand(n);
  await send('recent-done');
  await watch.waitFor((rs) => rs.some((r) => r.correlation_id === 'recent-done' && r.report_type === 'task_completed'), 30_000, 'the recent command');
  watch.close();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await nexus?.stop();
  await redis?.quit();
  await cleanupEnv(env);
});

const listUrl = () => `${nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`;
const detailUrl = (id: string) => `${nexus.baseUrl}/ui/commands/${id}?org_id=${tenant.org_id}&project_id=${tenant.project_id}`;

describe('run history in the dashboard', () => {
  it('opens on the newest page with every open ask, folds reports, and pages back to the beginning', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(listUrl());
    await waitForConnection(page, /^live$/);
    await waitForStatus(page, 'recent-done', 'completed');

    // Only the newest page is loaded: the old command is not on the page, but its open ask is in the inbox.
    await expect(card(page, 'oldest-done').count()).resolves.toBe(0);
    const loaded = await page.locator('article.card').count();
    expect(loaded).toBeGreaterThan(100);
    expect(loaded).toBeLessThan(FILLER_COMMANDS);
    await page.locator('article.ask', { hasText: 'old-ask' }).waitFor();
    await expect(page.textContent('#inbox-count')).resolves.toBe('1');

    // Cards are folded: the rows exist but show only when asked for.
    const recent = card(page, 'recent-done');
    await expect(recent.locator('.report-row').first().isVisible()).resolves.toBe(false);
    await expect(recent.locator('details.reports summary').textContent()).resolves.toBe('3 reports · last: task_completed');
    await recent.locator('details.reports summary').click();
    await expect(recent.locator('.report-row').first().isVisible()).resolves.toBe(true);
    await expect(recent.locator('.duration').textContent()).resolves.toMatch(/^took \d/);

    // Newest first, and older pages join below, still newest first.
    const order = async () => page.locator('article.card').evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.correlationId ?? ''));
    expect((await order())[0]).toBe('recent-done');
    // Until the foot has no "Load older" left. The cards of a page render a moment after the foot says where the
    // page ended, so the loop asks the foot, never the cards; one read in the page, so the button cannot vanish
    // between a count and a click.
    const older = () => page.evaluate(() => {
      const button = document.getElementById('load-older') as HTMLButtonElement | null;
      return button === null ? 'none' : button.disabled ? 'loading' : 'ready';
    });
    for (let i = 0; i < 5 && (await older()) === 'ready'; i += 1) {
      await page.click('#load-older');
      await expect.poll(older, { timeout: 15_000, message: 'the older page to load' }).not.toBe('loading');
    }
    await waitForStatus(page, 'oldest-done', 'completed');
    await expect.poll(() => page.textContent('#history'), { timeout: 10_000 }).toContain('This is the beginning of the history.');
    await expect(page.locator('#load-older').count()).resolves.toBe(0);
    const all = await order();
    expect(all).toHaveLength(FILLER_COMMANDS + 3);
    expect(all.slice(0, 3)).toEqual(['recent-done', 'filler-299', 'filler-298']);
    expect(all.slice(-2)).toEqual(['oldest-done', 'old-ask']);
    // The RED ask's card reads ask → waiting, and the filters narrow by risk and agent.
    await page.selectOption('#risk-filter', 'RED');
    await expect.poll(() => page.textContent('.filters .count')).toBe(`1 of ${FILLER_COMMANDS + 3} loaded`);
    await page.selectOption('#risk-filter', '');
    await page.selectOption('#agent-filter', 'echo');
    await expect.poll(() => page.textContent('.filters .count')).toBe(`3 of ${FILLER_COMMANDS + 3} loaded`);
    await page.selectOption('#agent-filter', '');
    // A correlation id typed into search offers its detail view, wherever the command is in history.
    await page.fill('#search', 'oldest-done');
    await expect(page.getAttribute('#open-correlation', 'href')).resolves.toBe(`/ui/commands/oldest-done?org_id=${tenant.org_id}&project_id=${tenant.project_id}`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows one command whole at /ui/commands/<correlation_id>: found deep in history, approved there, time split', async () => {
    const { context, page, errors } = await newPage(browser);
    // oldest-done is behind more than 900 reports: the view pages back for it by correlation id.
    await page.goto(detailUrl('oldest-done'));
    await waitForStatus(page, 'oldest-done', 'completed');
    await expect(page.locator('article.card').count()).resolves.toBe(1);
    await expect(page.textContent('#timeline-title')).resolves.toBe('Command oldest-done');
    expect(await card(page, 'oldest-done').locator('.report-row .rtype').allTextContents()).toEqual(['command_accepted', 'task_started', 'task_completed']);
    await expect(card(page, 'oldest-done').locator('.report-row').first().isVisible()).resolves.toBe(true);
    await expect(page.textContent('[data-timing=waiting]')).resolves.toBe('no approval needed');

    // The open ask, decided from its detail view: the page follows the stream to completed.
    await page.goto(detailUrl('old-ask'));
    await waitForConnection(page, /^live$/);
    await waitForStatus(page, 'old-ask', 'waiting');
    await expect(page.getAttribute('.detail-ask .ask-outcome', 'data-outcome')).resolves.toBe('open');
    const ask = page.locator('article.ask', { hasText: 'old-ask' });
    await ask.locator('input.reason').fill('checked the list');
    await ask.locator('button.approve').click();
    await waitForStatus(page, 'old-ask', 'completed');
    await expect.poll(() => page.getAttribute('.detail-ask .ask-outcome', 'data-outcome')).toBe('approve');
    await expect(page.textContent('.detail-ask .ask-outcome')).resolves.toMatch(/^Approved by local after .+: “checked the list”$/);
    await expect(page.textContent('[data-timing=waiting]')).resolves.toMatch(/^\d/);
    await expect(card(page, 'old-ask').locator('.duration').textContent()).resolves.toMatch(/^waited .+ for approval · ran .+$/);
    await expect(page.getAttribute('#temporal-all', 'href')).resolves.toBe(`http://localhost:8233/namespaces/default/workflows?query=${encodeURIComponent("NexusCorrelationId='old-ask'")}`);
    await screenshot(page, 'run-detail', false);

    // Beyond the retained history (or never run): said plainly, with the way to Temporal.
    await page.goto(detailUrl('never-ran'));
    await page.locator('#detail-not-found').waitFor({ timeout: 20_000 });
    await expect(page.textContent('#detail-not-found')).resolves.toContain("No report of never-ran is in this project's history.");
    await expect(page.getAttribute('#detail-temporal-search', 'href')).resolves.toContain(encodeURIComponent("NexusCorrelationId='never-ran'"));
    expect(errors).toEqual([]);
    await context.close();

    const bad = await fetch(`${nexus.baseUrl}/ui/commands/${encodeURIComponent('not a/key')}`);
    expect(bad.status).toBe(404);
    expect((await bad.json()) as unknown).toMatchObject({ error: { code: 'not_found' } });
  });
});
