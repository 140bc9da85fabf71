import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseRecorder } from '../support/sse-client.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';
import { card, launchBrowser, newPage, screenshot, waitForConnection, waitForStatus } from './harness.js';

const env = isolatedEnv('ui-language');
const tenant = { org_id: 'school', project_id: `grade3-${Date.now()}` };
let nexus: RunningNexus;
let browser: Browser;

beforeAll(async () => {
  nexus = await bootNexus(env, testLogger(env).logger);
  browser = await launchBrowser();
  const watch = await SseRecorder.open(nexus.baseUrl, tenant);
  for (const [id, extra] of [['done-1', {}], ['ask-1', { risk_level: 'RED' }]] as const) {
    const sent = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { 반: '3-A' }, correlation_id: id, ...extra }, tenant);
    expect(sent.status).toBe(202);
  }
  await watch.waitFor((rs) => rs.some((r) => r.correlation_id === 'done-1' && r.report_type === 'task_completed')
    && rs.some((r) => r.correlation_id === 'ask-1' && r.report_type === 'ask_created'), 30_000, 'a finished command and an open ask');
  watch.close();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await nexus?.stop();
  await cleanupEnv(env);
});

const listUrl = () => `${nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`;

describe('the dashboard in the reader\'s language', () => {
  it('speaks Korean to a Korean browser: shell, stream state, cards, inbox, detail view and dates', async () => {
    const { context, page, errors } = await newPage(browser, { locale: 'ko-KR' });
    await page.goto(listUrl());
    await waitForConnection(page, /^실시간$/);
    await expect(page.getAttribute('html', 'lang')).resolves.toBe('ko');
    await expect(page.inputValue('#lang')).resolves.toBe('ko');
    await expect(page.textContent('#timeline-title')).resolves.toBe('실행 목록');
    await expect(page.textContent('#composer-title')).resolves.toBe('새 명령');
    await expect(page.getAttribute('#token', 'placeholder')).resolves.toBe('로컬 모드: 없음');
    await waitForStatus(page, 'done-1', 'completed');
    await expect(card(page, 'done-1').locator('[data-role=status]').textContent()).resolves.toBe('완료');
    await expect(card(page, 'done-1').locator('.duration').textContent()).resolves.toMatch(/^소요 [\d.]+(ms|초)$/);
    await expect(card(page, 'done-1').locator('button.rerun').textContent()).resolves.toBe('다시 실행');
    await expect(page.textContent('#history')).resolves.toContain('기록의 처음입니다.');
    await expect(page.textContent('.filters .count')).resolves.toBe('명령 2개 불러옴');

    // The approver's view: labels, buttons and the countdown in Korean; the action itself as NEXUS recorded it.
    const ask = page.locator('article.ask', { hasText: 'ask-1' });
    await ask.waitFor();
    await expect(ask.locator('button.approve').textContent()).resolves.toBe('승인');
    await expect(ask.locator('button.deny').textContent()).resolves.toBe('거부');
    await expect(ask.locator('.countdown').textContent()).resolves.toMatch(/^(23시간 59분|24시간 00분) \d\d초 뒤 만료$/);
    expect(JSON.parse((await ask.locator('.action-params').textContent()) ?? '')).toEqual({ 반: '3-A' });
    await expect(card(page, 'ask-1').locator('[data-role=status]').textContent()).resolves.toBe('승인 대기');

    // Times in the reader's locale: the row's clock is what ko-KR writes for that report's stamp.
    const row = card(page, 'done-1').locator('.report-row time').first();
    const [shown, stamp] = [await row.textContent(), await row.getAttribute('datetime')];
    expect(shown).toBe(await page.evaluate((iso) => new Date(iso).toLocaleTimeString('ko-KR', { hour12: false }), stamp ?? ''));

    await page.goto(`${nexus.baseUrl}/ui/commands/done-1?org_id=${tenant.org_id}&project_id=${tenant.project_id}`);
    await waitForStatus(page, 'done-1', 'completed');
    await expect(page.textContent('#timeline-title')).resolves.toBe('명령 done-1');
    await expect(page.textContent('.detail-section.timing h3')).resolves.toBe('소요 시간');
    await expect(page.textContent('[data-timing=waiting]')).resolves.toBe('승인 필요 없음');
    await screenshot(page, 'run-detail-ko', false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('keeps the language a reader picks on this device, whatever the browser says', async () => {
    const { context, page, errors } = await newPage(browser, { locale: 'ko-KR' });
    await page.goto(listUrl());
    await waitForConnection(page, /^실시간$/);
    // The switch reloads the page in the other language, and the choice outlives the reload.
    await Promise.all([page.waitForEvent('load'), page.selectOption('#lang', 'en')]);
    await waitForConnection(page, /^live$/);
    await expect(page.textContent('#timeline-title')).resolves.toBe('Timeline');
    await page.reload();
    await waitForConnection(page, /^live$/);
    await expect(page.getAttribute('html', 'lang')).resolves.toBe('en');
    await expect(card(page, 'done-1').locator('[data-role=status]').textContent()).resolves.toBe('completed');
    expect(errors).toEqual([]);
    await context.close();

    // And an English browser may choose Korean.
    const english = await newPage(browser);
    await english.page.goto(listUrl());
    await waitForConnection(english.page, /^live$/);
    await Promise.all([english.page.waitForEvent('load'), english.page.selectOption('#lang', 'ko')]);
    await waitForConnection(english.page, /^실시간$/);
    await expect(english.page.textContent('#inbox-title')).resolves.toMatch(/^승인 요청 \d+$/);
    expect(english.errors).toEqual([]);
    await english.context.close();
  });
});
