import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import {
  card, curlCommand, DashboardNexus, gateStream, launchBrowser, newPage, screenshot, setCorrelationId, StreamGate, waitForConnection, waitForStatus,
} from './harness.js';

const execFileAsync = promisify(execFile);
const tenant = { org_id: 'acme', project_id: 'dashboard' };
// Links to Temporal appear only because the operator said where its UI is.
const nexus = new DashboardNexus('ui-dashboard', { TEMPORAL_UI_URL: 'http://localhost:8233' });
const receiver = new WebhookReceiver();
let browser: Browser;
let hookUrl: string;

beforeAll(async () => {
  hookUrl = await receiver.start();
  nexus.env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  await nexus.start();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await nexus.stop();
  await receiver.stop();
});

const dashboardUrl = (t = tenant) => `${nexus.baseUrl}/ui?org_id=${t.org_id}&project_id=${t.project_id}`;
const deliveriesFor = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId);

describe('the dashboard at /ui', () => {
  it('shows a command sent with curl (not through the page) and follows it to completed', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(dashboardUrl());
    await waitForConnection(page, /^live$/);

    const correlationId = `curl-${Date.now()}`;
    const sent = await curlCommand(nexus.baseUrl, tenant, { type: 'agent.run', agent: 'echo', params: { hello: 'world' }, correlation_id: correlationId });
    expect(sent.status).toBe(202);

    await waitForStatus(page, correlationId, 'completed');
    const rows = card(page, correlationId).locator('.report-row .rtype');
    expect(await rows.allTextContents()).toEqual(['command_accepted', 'task_started', 'task_completed']);
    await expect(card(page, correlationId).locator('[data-role=status]').textContent()).resolves.toBe('completed');
    expect(await card(page, correlationId).locator('.outcome pre').textContent()).toContain('{"hello":"world"}');
    const link = await card(page, correlationId).locator('a.temporal-link').getAttribute('href');
    expect(link).toMatch(/^http:\/\/localhost:\d+\/namespaces\/default\/workflows\/nexus%2Facme%2Fdashboard%2F/);

    // The tenant in the URL is remembered: the bare /ui opens on it next time.
    await page.goto(`${nexus.baseUrl}/ui`);
    await expect(page.inputValue('#project')).resolves.toBe(tenant.project_id);
    await waitForStatus(page, correlationId, 'completed');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('runs a RED command from the form only after Approve, and never after Deny', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(dashboardUrl());
    await waitForConnection(page, /^live$/);

    const sendShare = async (correlationId: string) => {
      await page.selectOption('#agent-select', 'external_share');
      await page.fill('#param-external_share-url', `${hookUrl}/hook/${correlationId}`);
      await page.fill('#param-external_share-payload', JSON.stringify({ grades: [90, 85], class: '4B' }));
      await setCorrelationId(page, correlationId);
      await page.click('button:has-text("Send command")');
    };

    // The schema's rules show inline before anything is sent.
    await page.selectOption('#agent-select', 'external_share');
    await page.fill('#param-external_share-url', 'not a url');
    await page.click('button:has-text("Send command")');
    await expect(page.textContent('#param-external_share-url-error')).resolves.toMatch(/full URL/);
    await expect(page.textContent('#param-external_share-payload-error')).resolves.toBe('required');

    const approved = `approve-${Date.now()}`;
    await sendShare(approved);
    const ask = page.locator('article.ask', { hasText: approved });
    await ask.waitFor();
    await waitForStatus(page, approved, 'waiting');
    await expect(ask.locator('.risk').first().textContent()).resolves.toBe('RED');
    await expect(ask.locator('h3').textContent()).resolves.toMatch(/^Share data with 127\.0\.0\.1:\d+$/);
    await expect(ask.locator('.action-agent').textContent()).resolves.toBe('external_share');
    expect(JSON.parse((await ask.locator('.action-params').textContent()) ?? '')).toEqual({
      url: `${hookUrl}/hook/${approved}`, payload: { grades: [90, 85], class: '4B' },
    });
    await expect(ask.locator('.digest').textContent()).resolves.toMatch(/^sha256:[0-9a-f]{64}$/);
    await expect(ask.locator('.countdown').textContent()).resolves.toMatch(/^expires in (23h 59m|24h 00m) \d\ds$/);
    await expect(page.textContent('#inbox-count')).resolves.toBe('1');
    await expect(page.title()).resolves.toMatch(/^\(1\) NEXUS/);
    await expect(page.textContent('#ask-announcer')).resolves.toContain('New approval request, RED');
    expect(deliveriesFor(approved)).toHaveLength(0);
    await screenshot(page, 'dashboard-light');
    await screenshot(page, 'dashboard-light-viewport', false);

    await page.fill('#approver', 'teacher-kim');
    await ask.locator('input.reason').fill('district asked for it');
    await ask.locator('button.approve').click();
    await waitForStatus(page, approved, 'completed');
    await ask.waitFor({ state: 'detached' });
    expect(await card(page, approved).locator('.report-row .rtype').allTextContents()).toEqual([
      'command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed',
    ]);
    await expect(card(page, approved).locator('.type-ask_resolved .detail').textContent()).resolves.toBe('approved by teacher-kim: “district asked for it”');
    expect(deliveriesFor(approved)).toHaveLength(1);

    const denied = `deny-${Date.now()}`;
    await sendShare(denied);
    const second = page.locator('article.ask', { hasText: denied });
    await second.locator('input.reason').fill('not to that address');
    await second.locator('button.deny').click();
    await waitForStatus(page, denied, 'denied');
    await second.waitFor({ state: 'detached' });
    // The card says "denied" from ask_resolved; the terminal task_cancelled follows on the stream a moment later.
    await card(page, denied).locator('.report-row.type-task_cancelled').waitFor({ state: 'attached' });
    expect(await card(page, denied).locator('.report-row .rtype').allTextContents()).toEqual([
      'command_accepted', 'ask_created', 'ask_resolved', 'task_cancelled',
    ]);
    await expect(page.textContent('#inbox-count')).resolves.toBe('0');
    // The worker would have delivered by now had it run; give a wrongly-run activity time to show itself anyway.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(deliveriesFor(denied)).toHaveLength(0);
    await screenshot(page, 'after-decisions');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('never renders command or ask state from a POST response: held stream means "sent" and "deciding…"', async () => {
    const project = { org_id: 'acme', project_id: 'held' };
    const { context, page, errors } = await newPage(browser);
    const gate = new StreamGate();
    await gateStream(page, gate);
    await page.goto(dashboardUrl(project));
    await waitForConnection(page, /^live$/);

    // A RED ask reaches the inbox while the stream flows.
    const red = `held-red-${Date.now()}`;
    const watch = await SseRecorder.open(nexus.side.baseUrl, project, { correlationId: red });
    expect((await curlCommand(nexus.baseUrl, project, {
      type: 'agent.run', agent: 'external_share', correlation_id: red, params: { url: `${hookUrl}/hook/${red}`, payload: { n: 1 } },
    })).status).toBe(202);
    const ask = page.locator('article.ask', { hasText: red });
    await ask.waitFor();

    // Now the stream is held back: the API restarts and the page's reconnect waits at the gate.
    gate.hold();
    await nexus.stopApi();
    await waitForConnection(page, /^reconnecting \(attempt \d+\)$/);
    await nexus.startApi();
    await expect.poll(() => gate.held, { timeout: 20_000 }).toBeGreaterThan(0);

    // Approve answers 202 and the workflow completes, yet the page shows only what the stream has said.
    await ask.locator('button.approve').click();
    await watch.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed on the server');
    // An echo sent from the form while the stream is held: a 202, and it completes on the server too.
    const green = `held-green-${Date.now()}`;
    const greenWatch = await SseRecorder.open(nexus.side.baseUrl, project, { correlationId: green });
    await setCorrelationId(page, green);
    await page.fill('#param-echo-params', '{"held": true}');
    await page.click('button:has-text("Send command")');
    await greenWatch.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'green completed on the server');
    await waitForStatus(page, green, 'sent');
    await expect(page.textContent('.composer-status')).resolves.toContain(`Sent ${green}`);

    await expect(ask.locator('.deciding').textContent()).resolves.toBe('deciding… (approve sent)');
    await expect(ask.locator('button.approve').isDisabled()).resolves.toBe(true);
    await waitForStatus(page, red, 'waiting');
    expect(await card(page, green).locator('.report-row').count()).toBe(0);
    await expect(card(page, green).locator('[data-role=status]').textContent()).resolves.toBe('sent');
    await screenshot(page, 'held-stream');

    gate.release();
    await waitForConnection(page, /^live$/);
    await waitForStatus(page, green, 'completed');
    await waitForStatus(page, red, 'completed');
    await ask.waitFor({ state: 'detached' });
    expect(deliveriesFor(red)).toHaveLength(1);
    watch.close();
    greenWatch.close();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('cancels a command waiting for approval from its card: the card and the inbox follow the stream, nothing runs', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(dashboardUrl());
    await waitForConnection(page, /^live$/);
    const correlationId = `cancel-${Date.now()}`;
    const sent = await curlCommand(nexus.baseUrl, tenant, {
      type: 'agent.run', agent: 'external_share', params: { url: `${hookUrl}/hook/${correlationId}`, payload: { n: 1 } }, correlation_id: correlationId,
    });
    expect(sent.status).toBe(202);
    await waitForStatus(page, correlationId, 'waiting');
    const ask = page.locator('article.ask', { hasText: correlationId });
    await ask.waitFor();

    await card(page, correlationId).locator('button.cancel').click();
    await waitForStatus(page, correlationId, 'cancelled');
    await ask.waitFor({ state: 'detached' });
    expect(await card(page, correlationId).locator('.report-row .rtype').allTextContents()).toEqual([
      'command_accepted', 'ask_created', 'task_cancelled',
    ]);
    // An ended command offers nothing more to cancel.
    expect(await card(page, correlationId).locator('button.cancel').count()).toBe(0);
    expect(deliveriesFor(correlationId)).toHaveLength(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('edits and approves from the inbox: the edit is a new ask its editor may not approve, and only the edited params run', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(dashboardUrl());
    await waitForConnection(page, /^live$/);
    // Local mode records an empty "Deciding as" as `local`, and the field says so.
    await expect(page.getAttribute('#approver', 'placeholder')).resolves.toBe('local');
    const correlationId = `edit-${Date.now()}`;
    const url = `${hookUrl}/hook/${correlationId}`;
    expect((await curlCommand(nexus.baseUrl, tenant, {
      type: 'agent.run', agent: 'external_share', params: { url, payload: { class: '4B', note: 'draft' } }, correlation_id: correlationId,
    })).status).toBe(202);
    await page.locator('article.ask', { hasText: correlationId }).waitFor();
    const firstId = await page.locator('article.ask', { hasText: correlationId }).getAttribute('data-ask-id');
    const first = page.locator(`article.ask[data-ask-id="${firstId}"]`);

    await page.fill('#approver', 'principal-park');
    await first.locator('details.edit summary').click();
    const editor = first.locator('textarea.edit-params');
    expect(JSON.parse(await editor.inputValue())).toEqual({ url, payload: { class: '4B', note: 'draft' } });
    // Not JSON: refused on the page, nothing sent.
    await editor.fill('{ "url": ');
    await first.locator('button.approve-edited').click();
    await expect.poll(() => first.locator('.field-error').textContent(), { timeout: 5_000 }).toBe('Not decided: the edited params must be a JSON object');
    // Params the agent refuses: the API's issue is shown next to the ask.
    await editor.fill(JSON.stringify({ url: 'ftp://nowhere', payload: {} }));
    await first.locator('button.approve-edited').click();
    await expect.poll(() => first.locator('.field-error').textContent(), { timeout: 10_000 }).toMatch(/^Not decided: .*params\.url/);

    await editor.fill(JSON.stringify({ url, payload: { class: '4B', note: 'final' } }));
    await screenshot(page, 'edit-and-approve', false);
    await first.locator('button.approve-edited').click();
    await first.waitFor({ state: 'detached' });
    // The edit comes back as a new ask, by its editor, whom it names.
    const second = page.locator(`article.ask:not([data-ask-id="${firstId}"])`, { hasText: correlationId });
    await second.waitFor();
    await expect(second.locator('.edited-from').textContent()).resolves.toContain('An edit by principal-park');
    expect(JSON.parse((await second.locator('.action-params').textContent()) ?? '')).toEqual({ url, payload: { class: '4B', note: 'final' } });
    await second.locator('button.approve').click();
    await expect.poll(() => second.locator('.field-error').textContent(), { timeout: 10_000 }).toMatch(/^Not decided: /);
    expect(deliveriesFor(correlationId)).toHaveLength(0);

    await page.fill('#approver', 'principal-choi');
    await second.locator('button.approve').click();
    await waitForStatus(page, correlationId, 'completed');
    expect(await card(page, correlationId).locator('.report-row .rtype').allTextContents()).toEqual([
      'command_accepted', 'ask_created', 'ask_resolved', 'ask_created', 'ask_resolved', 'task_started', 'task_completed',
    ]);
    const delivered = deliveriesFor(correlationId);
    expect(delivered).toHaveLength(1);
    expect(JSON.stringify(delivered[0])).toContain('final');
    expect(JSON.stringify(delivered[0])).not.toContain('draft');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('runs an ended command again from its card: a new command with the same request, marked as a re-run', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(dashboardUrl());
    await waitForConnection(page, /^live$/);
    const correlationId = `rerun-${Date.now()}`;
    expect((await curlCommand(nexus.baseUrl, tenant, { type: 'agent.run', agent: 'echo', params: { lesson: 7 }, correlation_id: correlationId, command_id: correlationId })).status).toBe(202);
    await waitForStatus(page, correlationId, 'completed');
    const before = await page.locator('article.card').count();

    await card(page, correlationId).locator('button.rerun').click();
    const rerun = page.locator('article.card', { hasText: `re-run of ${correlationId}` });
    await rerun.waitFor({ timeout: 30_000 });
    await page.locator('article.card.status-completed', { hasText: `re-run of ${correlationId}` }).waitFor({ timeout: 30_000 });
    expect(await rerun.locator('.outcome pre').textContent()).toContain('{"lesson":7}');
    await expect(page.locator('article.card').count()).resolves.toBe(before + 1);
    // A running command offers Cancel, not Run again.
    expect(await card(page, correlationId).locator('button.cancel').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('documents every operation at /docs with rendered code spans and a curl example that works as pasted', async () => {
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${nexus.baseUrl}/docs`);
    await page.locator('pre.example').first().waitFor();
    const doc = (await (await fetch(`${nexus.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).flatMap((item) => Object.keys(item)).length;
    await expect(page.locator('#ops h2').count()).resolves.toBe(operations);
    await expect(page.locator('pre.example').count()).resolves.toBe(operations);
    // The document's Markdown is rendered: code spans are <code>, and no raw backtick is left in the prose.
    expect((await page.locator('#intro, #ops p, #ops td').allTextContents()).join(' ')).not.toContain('`');
    expect(await page.locator('#ops p code').count()).toBeGreaterThan(10);
    // The examples work as pasted into a shell.
    const example = async (path: string) => (await page.locator(`h2:has(.path:text-is("${path}")) ~ pre.example`).first().textContent()) ?? '';
    const status = async (command: string) => (await execFileAsync('bash', ['-c', `${command} -s -o /dev/null -w '%{http_code}'`])).stdout;
    await expect(status(await example('/sidecar/command'))).resolves.toBe('202');
    await expect(status(await example('/health'))).resolves.toBe('200');
    expect(await example('/approvals/{ask_id}/decide')).toContain('/approvals/<ask_id>/decide');
    await screenshot(page, 'docs', false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('is usable at phone width and in dark mode', async () => {
    const { context, page, errors } = await newPage(browser, { colorScheme: 'dark', width: 360 });
    await page.goto(dashboardUrl());
    await waitForConnection(page, /^live$/);
    await page.locator('article.card').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'dashboard-dark-phone');
    // Keyboard: Tab from the top reaches the tenant form's first field after the skip link.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to approvals');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('org');
    expect(errors).toEqual([]);
    await context.close();
  });
});
