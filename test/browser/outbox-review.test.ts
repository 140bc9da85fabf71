import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FakeSensServer } from '../support/fake-sens-server.js';
import { isolatedEnv, post } from '../support/nexus-under-test.js';
import { SseRecorder } from '../support/sse-client.js';
import { browserSuite, card, newPage, screenshot, setCorrelationId, waitForStatus } from './harness.js';

/**
 * A teacher reviews before anything is sent: the outbox run's messages as a table and a CSV, then "send these through
 * KakaoTalk" starts the RED command for the same file and template, and what the approver lets out is exactly what
 * was reviewed, counted at a fake SENS.
 */
const credentials = { accessKey: 'AKID-UI', secretKey: 'secret-ui', serviceId: 'ncp:kkobizmsg:kr:2790001:school', plusFriendId: '@nexus-ui' };
const sens = new FakeSensServer(credentials);
await sens.start();
const env = isolatedEnv('ui-outbox', sens.env('notice_v1'));
const tenant = { org_id: 'school', project_id: `outbox-${Date.now()}` };
const suite = browserSuite(env, () => sens.stop());

/** 62 rows, two with a landline (left out): 60 messages, so the card shows 50 and the CSV all. */
function classList(): { csv: string; phones: string[] } {
  const lines = ['번호,이름,보호자 연락처,안내'];
  const phones: string[] = [];
  for (let i = 1; i <= 62; i++) {
    const phone = `0107700${String(1000 + i)}`;
    const note = '준비물: 실내화';
    if (i === 10 || i === 20) lines.push(`${i},학생${i},02-555-0000,${note}`);
    else {
      lines.push(`${i},학생${i},${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)},${note}`);
      phones.push(phone);
    }
  }
  return { csv: `${lines.join('\n')}\n`, phones };
}

describe('reviewing an outbox, then sending it', () => {
  it('shows the outbox as a table and a CSV, and sends exactly those messages once a second person approves', async () => {
    const { csv, phones } = classList();
    const uploaded = await post(suite.nexus.baseUrl, '/files', csv, tenant, { 'content-type': 'text/csv', 'x-filename': encodeURIComponent('3반 안내.csv') });
    expect(uploaded.status).toBe(201);
    const { context, page, errors } = await newPage(suite.browser);
    await page.goto(`${suite.nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`);

    await page.selectOption('#agent-select', 'student.excel_kakao');
    await page.selectOption('select.file-choice', { label: '3반 안내.csv (62 rows)' });
    await page.fill('[name=template]', '{{student}} 보호자님, {{안내}}');
    const reviewed = `outbox-${Date.now()}`;
    await setCorrelationId(page, reviewed);
    await page.click('form.composer button[type=submit]');
    await waitForStatus(page, reviewed, 'completed');

    const outbox = card(page, reviewed).locator('.outbox');
    await expect(outbox.locator('.outbox-summary').textContent()).resolves.toBe('60 messages drafted from 62 rows (2 left out). Nothing was sent.');
    const rows = await outbox.evaluate((el) => [...el.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toHaveLength(50);
    expect(rows[0]).toEqual(['2', '010-****-1001', '학생1 보호자님, 준비물: 실내화']);
    expect(rows.flat().join(' ')).not.toContain('7700');
    await expect(outbox.locator('.hint', { hasText: 'The first 50 of 60' }).count()).resolves.toBe(1);

    // The CSV holds all 60, numbers written out, the formula-looking one defused.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), outbox.locator('.outbox-download').click()]);
    expect(download.suggestedFilename()).toBe('3반 안내 outbox.csv');
    const saved = await readFile(await download.path());
    const lines = saved.toString('utf8').replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(lines).toHaveLength(61);
    expect(lines[0]).toBe('"row","recipient","message"');
    expect(lines[1]).toBe('"2","010-7700-1001","학생1 보호자님, 준비물: 실내화"');
    await screenshot(page, 'outbox-review');
    expect(sens.accepted).toHaveLength(0);

    // Send: the same command on the KakaoTalk channel, waiting for someone else's approval.
    await outbox.locator('.outbox-send').click();
    const sending = page.locator('article.card', { hasText: ', changed: channel' });
    await sending.waitFor({ timeout: 30_000 });
    const sendId = await sending.getAttribute('data-correlation-id');
    await waitForStatus(page, sendId ?? '', 'waiting');
    const ask = page.locator('article.ask', { hasText: sendId ?? '' });
    await ask.waitFor({ timeout: 30_000 });
    await expect(ask.textContent()).resolves.toContain('학부모 60명에게 카카오 알림톡 발송');
    expect(sens.accepted).toHaveLength(0);

    const stream = await SseRecorder.open(suite.nexus.baseUrl, tenant, { correlationId: sendId ?? '' });
    const created = (await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 15_000, 'the send\'s ask')).find((r) => r.report_type === 'ask_created');
    stream.close();
    const pending = created?.report_type === 'ask_created' ? created.payload : undefined;
    expect(pending?.action.params).toEqual({ file_id: uploaded.body.file_id, template: '{{student}} 보호자님, {{안내}}', channel: 'alimtalk' });
    const decided = await post(suite.nexus.baseUrl, `/approvals/${pending?.ask_id}/decide`, { decision: 'approve', action_digest: pending?.action_digest }, tenant, { 'x-user-id': 'principal-park' });
    expect(decided.status).toBe(202);
    await waitForStatus(page, sendId ?? '', 'completed');

    // What went out is what was reviewed: every message of the CSV, once, to its number.
    const sent = sens.accepted.map((m) => `"${m.to}","${m.content}"`).sort();
    const reviewedLines = lines.slice(1).map((line) => line.replace(/^"\d+","(\d{3})-(\d{3,4})-(\d{4})",/, '"$1$2$3",')).sort();
    expect(sent).toEqual(reviewedLines);
    expect(new Set(sens.accepted.map((m) => m.to))).toEqual(new Set(phones));
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a Korean approver, in Korean, who gets what: counts, the file by name and hash, first messages, the rows left out', async () => {
    const rows = ['번호,이름,반,보호자 연락처', ...Array.from({ length: 12 }, (_, i) => `${i + 1},학생${i + 1},5-B,${i % 4 === 3 ? '02-555-0000' : `010-8800-${String(2000 + i)}`}`)];
    const uploaded = await post(suite.nexus.baseUrl, '/files', `${rows.join('\n')}\n`, tenant, { 'content-type': 'text/csv', 'x-filename': encodeURIComponent('5반 명단.csv') });
    expect(uploaded.status).toBe(201);
    const correlationId = `ask-ko-${Date.now()}`;
    const before = sens.accepted.length;
    const sent = await post(suite.nexus.baseUrl, '/sidecar/command', {
      type: 'agent.run', agent: 'student.excel_kakao', correlation_id: correlationId,
      params: { file_id: uploaded.body.file_id, template: '{{student}}({{class}}) 보호자님, 내일은 현장 체험 학습입니다.', channel: 'alimtalk' },
    }, tenant, { 'x-user-id': 'teacher-kim' });
    expect(sent.status).toBe(202);

    const { context, page, errors } = await newPage(suite.browser, { locale: 'ko-KR' });
    await page.goto(`${suite.nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`);
    const ask = page.locator('article.ask', { hasText: correlationId });
    await ask.waitFor({ timeout: 30_000 });
    const view = await ask.evaluate((el) => ({
      title: el.querySelector('h3')?.textContent,
      counts: el.querySelector('.ask-preview .preview-counts')?.textContent,
      facts: [...el.querySelectorAll('.ask-preview .preview-facts dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]),
      samples: [...el.querySelectorAll('.ask-preview .preview-samples li')].map((li) => li.textContent),
      leftOut: [...el.querySelectorAll('.ask-preview .preview-left-out li')].map((li) => li.textContent),
      headings: [...el.querySelectorAll('.ask-preview h4')].map((h4) => h4.textContent),
    }));
    expect(view).toEqual({
      title: '학부모 9명에게 카카오 알림톡 발송',
      counts: '12행 중 9명에게 메시지가 갑니다. 3행 제외.',
      facts: [
        ['파일', '5반 명단.csv'], ['SHA-256', uploaded.body.sha256], ['채널', '카카오 알림톡 (각 번호로 발송)'],
        ['사용한 열', 'student ← 이름 · phone ← 보호자 연락처 · class ← 반 · number ← 번호'],
      ],
      samples: [
        '2행 · 010-8800-2000학생1(5-B) 보호자님, 내일은 현장 체험 학습입니다.',
        '3행 · 010-8800-2001학생2(5-B) 보호자님, 내일은 현장 체험 학습입니다.',
        '4행 · 010-8800-2002학생3(5-B) 보호자님, 내일은 현장 체험 학습입니다.',
      ],
      leftOut: [5, 9, 13].map((row) => `${row}행: 휴대폰 번호가 아님: "02-555-0000" (not a Korean mobile number)`),
      headings: ['첫 메시지', '제외되는 행과 이유'],
    });
    await screenshot(page, 'approver-view-ko');

    // Denied from the page by someone else: the ask leaves the inbox when the stream says so, and nothing is sent.
    await page.fill('#approver', 'principal-park');
    await ask.locator('button.deny').click();
    await ask.waitFor({ state: 'detached', timeout: 30_000 });
    await waitForStatus(page, correlationId, 'denied');
    expect(sens.accepted.length).toBe(before);
    expect(errors).toEqual([]);
    await context.close();
  });
});
