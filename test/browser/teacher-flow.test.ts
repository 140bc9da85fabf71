import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { FakeSensServer } from '../support/fake-sens-server.js';
import { isolatedEnv } from '../support/nexus-under-test.js';
import { browserSuite, card, newPage, screenshot, waitForStatus } from './harness.js';

/**
 * The teacher's whole flow, in Korean, in the dashboard alone: a class spreadsheet made in Excel (exceljs) is uploaded,
 * its guardian-phone column mapped, the message written from its headers and previewed, recorded to the outbox and
 * reviewed, then sent through KakaoTalk; the teacher cannot approve it, a principal on another browser does, and the
 * fake SENS receives exactly the reviewed messages.
 */
const credentials = { accessKey: 'AKID-FLOW', secretKey: 'secret-flow', serviceId: 'ncp:kkobizmsg:kr:2790002:school', plusFriendId: '@nexus-flow' };
const sens = new FakeSensServer(credentials);
await sens.start();
const policyDir = mkdtempSync(join(tmpdir(), 'nexus-flow-policy-'));
// The school's rule: whoever asks to send cannot be the one who approves it.
writeFileSync(join(policyDir, 'default.json'), JSON.stringify({ rules: [], approval: { quorum: { '*': 1 }, separation_of_duties: true } }));
const env = isolatedEnv('ui-teacher', { NEXUS_POLICY_DIR: policyDir, ...sens.env('grades_v1') });
const tenant = { org_id: 'hanbit-school', project_id: `grade3-${Date.now()}` };
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const suite = browserSuite(env, () => sens.stop());

/** 3학년 A반, as a teacher keeps it: the guardian's number under a header no detector knows, two numbers wrong. */
async function classBook(): Promise<{ bytes: Buffer; phones: string[] }> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('3월 성적');
  sheet.addRow(['번호', '이름', '반', '엄마 핸드폰', '국어', '수학']);
  const phones: string[] = [];
  for (let i = 1; i <= 24; i++) {
    const phone = `010-3300-${String(5000 + i)}`;
    const wrong = i === 7 || i === 18;
    sheet.addRow([i, `학생${i}`, '3-A', wrong ? '031-123-4567' : phone, 60 + i, 100 - i]);
    if (!wrong) phones.push(phone.replace(/-/g, ''));
  }
  return { bytes: Buffer.from(await workbook.xlsx.writeBuffer()), phones };
}

const home = () => `${suite.nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`;
const statusText = (page: Page) => page.evaluate(() => document.querySelector('.composer-status')?.textContent ?? '');

describe('the teacher’s flow, from a spreadsheet to parents’ KakaoTalk, in the dashboard', () => {
  it('uploads, maps, previews, reviews the outbox, asks to send; a second person approves; SENS gets exactly the reviewed messages', async () => {
    const { bytes, phones } = await classBook();
    const teacher = await newPage(suite.browser, { locale: 'ko-KR' });
    const page = teacher.page;
    await page.goto(home());

    // 1. Upload: picked from the desktop.
    await page.setInputFiles('#file-input', { name: '3학년 A반 3월 성적.xlsx', mimeType: XLSX, buffer: bytes });
    await page.waitForFunction(() => document.getElementById('file-status')?.textContent === '3학년 A반 3월 성적.xlsx을(를) 올렸습니다: 24행.', undefined, { timeout: 15_000 });

    // 2. The form knows the sheet: pick it, map the phone column detection missed, write from the headers.
    await page.selectOption('#agent-select', 'student.excel_kakao');
    // The agent and its params described in Korean, as the agent gives them.
    await expect(page.textContent('#agent-about')).resolves.toContain('올린 스프레드시트의 행마다');
    await expect(page.locator('[name=template] ~ .hint').last().textContent()).resolves.toMatch(/^보낼 메시지/);
    await page.selectOption('select.file-choice', { label: '3학년 A반 3월 성적.xlsx (24행)' });
    await page.fill('[name=template]', '{{student}} 학부모님, 3월 성적: 국어 ');
    await page.click('.chips .chip[data-column="국어"]');
    await page.keyboard.type('점, 수학 ');
    await page.click('.chips .chip[data-column="수학"]');
    await page.keyboard.type('점');
    await page.waitForFunction(() => document.querySelector('#preview .field-error')?.textContent?.includes('no phone column found'), undefined, { timeout: 15_000 });
    await expect(page.textContent('[id$="-columns-phone-hint"]')).resolves.toBe('메시지를 받을 보호자 휴대폰 번호 (필수)');
    await page.selectOption('[name="columns.phone"]', '엄마 핸드폰');

    // 3. Preview, before anything is sent.
    await page.waitForFunction(() => document.querySelector('#preview .preview-counts')?.textContent === '24행 중 22명에게 메시지가 갑니다. 2행 제외.', undefined, { timeout: 15_000 });
    await expect(page.locator('#preview .preview-samples li').first().textContent()).resolves.toBe('2행 · 010-3300-5001학생1 학부모님, 3월 성적: 국어 61점, 수학 99점');
    await screenshot(page, 'teacher-flow-1-preview');

    // 4. The outbox: recorded, nothing sent, reviewed as a table.
    await page.click('form.composer button[type=submit]');
    await page.waitForFunction(() => document.querySelector('.composer-status')?.textContent?.includes('을(를) 보냈습니다') ?? false, undefined, { timeout: 15_000 })
      .catch(async (err: unknown) => { throw new Error(`${String(err)}; status: ${await statusText(page)}`); });
    const outboxCard = page.locator('article.card[data-status="completed"]', { has: page.locator('.outbox') });
    await outboxCard.waitFor({ timeout: 30_000 });
    await expect(outboxCard.locator('.outbox-summary').textContent()).resolves.toBe('24행에서 메시지 22건 작성 (2행 제외). 아무것도 보내지 않았습니다.');
    const reviewed = await outboxCard.evaluate((el) => [...el.querySelectorAll('tbody tr')].map((tr) => tr.querySelectorAll('td')[2]?.textContent ?? ''));
    expect(reviewed).toHaveLength(22);
    expect(sens.accepted).toHaveLength(0);
    await screenshot(page, 'teacher-flow-2-outbox', false);

    // 5. Send through KakaoTalk: a RED command that waits for approval.
    await outboxCard.locator('.outbox-send').click();
    const sending = page.locator('article.card', { hasText: '바꾼 것: channel' });
    await sending.waitFor({ timeout: 30_000 });
    const sendId = (await sending.getAttribute('data-correlation-id')) ?? '';
    await waitForStatus(page, sendId, 'waiting');

    // The teacher cannot approve their own send: refused, said on the ask, nothing sent.
    const ownAsk = page.locator('article.ask', { hasText: sendId });
    await ownAsk.locator('button.approve').click();
    await ownAsk.locator('.field-error:not([hidden])').waitFor({ timeout: 15_000 });
    await expect(ownAsk.locator('.field-error').textContent()).resolves.toBe('결정되지 않음: the requester may not approve their own command');
    expect(sens.accepted).toHaveLength(0);

    // 6. The principal, on another browser, sees who gets what and approves.
    const principal = await newPage(suite.browser, { locale: 'ko-KR' });
    await principal.page.goto(home());
    await principal.page.fill('#approver', 'principal-park');
    const ask = principal.page.locator('article.ask', { hasText: sendId });
    await ask.waitFor({ timeout: 30_000 });
    await expect(ask.locator('h3').textContent()).resolves.toBe('학부모 22명에게 카카오 알림톡 발송');
    await expect(ask.locator('.ask-preview .preview-counts').textContent()).resolves.toBe('24행 중 22명에게 메시지가 갑니다. 2행 제외.');
    await expect(ask.locator('.ask-preview .preview-file').textContent()).resolves.toBe('3학년 A반 3월 성적.xlsx');
    await expect(ask.locator('.ask-preview .preview-left-out li').allTextContents()).resolves.toEqual([
      '8행: 휴대폰 번호가 아님: "031-123-4567" (not a Korean mobile number)',
      '19행: 휴대폰 번호가 아님: "031-123-4567" (not a Korean mobile number)',
    ]);
    await screenshot(principal.page, 'teacher-flow-3-approval', false);
    await ask.locator('button.approve').click();
    await ask.waitFor({ state: 'detached', timeout: 30_000 });

    // 7. Sent: on the teacher's page too, and at the provider exactly what was reviewed, once each.
    await waitForStatus(page, sendId, 'completed');
    await expect(card(page, sendId).locator('[data-role=status]').textContent()).resolves.toBe('완료');
    await expect(card(page, sendId).locator('.delivery-summary').textContent()).resolves.toBe('카카오 알림톡 22건 발송 (24행 중, 2행 제외).');
    expect(sens.accepted.map((m) => m.content).sort()).toEqual([...reviewed].sort());
    expect(sens.accepted.map((m) => m.to).sort()).toEqual([...phones].sort());
    expect(new Set(sens.accepted.map((m) => m.templateCode))).toEqual(new Set(['grades_v1']));
    await screenshot(page, 'teacher-flow-4-sent', false);
    expect([...teacher.errors, ...principal.errors]).toEqual([]);
    await principal.context.close();
    await teacher.context.close();
  });
});
