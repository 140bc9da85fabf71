import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../support/nexus-under-test.js';
import { browserSuite, newPage, screenshot } from './harness.js';

/**
 * A teacher's first step, in the dashboard alone: a spreadsheet from the desktop into NEXUS (picked or dropped), with
 * progress, refusals in words, and the upload listed with what NEXUS read in it.
 */
const MAX_UPLOAD = 200_000;
const env = isolatedEnv('ui-upload', { NEXUS_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
const tenant = { org_id: 'school', project_id: `upload-${Date.now()}` };
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const suite = browserSuite(env);

/** A class list as a teacher keeps it: Korean headers, one row per student. */
async function classBook(rows: number): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('3학년 A반');
  sheet.addRow(['번호', '이름', '반', '보호자 연락처', '국어']);
  for (let i = 1; i <= rows; i++) sheet.addRow([i, `학생${i}`, '3-A', `010-1234-${String(1000 + i)}`, 60 + (i % 40)]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const listUrl = () => `${suite.nexus.baseUrl}/ui?org_id=${tenant.org_id}&project_id=${tenant.project_id}`;

/** The listed files as the page shows them, read in one go (the list re-renders as a whole). */
function listed(page: Page): Promise<Array<{ id: string; cells: string[] }>> {
  return page.evaluate(() => [...document.querySelectorAll('#file-list tbody tr')].map((tr) => ({
    id: (tr as HTMLElement).dataset.fileId ?? '',
    cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
  })));
}

async function waitForListed(page: Page, count: number): Promise<Array<{ id: string; cells: string[] }>> {
  await page.waitForFunction((n) => document.querySelectorAll('#file-list tbody tr').length === n, count, { timeout: 15_000 });
  return listed(page);
}

async function errorShown(page: Page): Promise<string> {
  await page.waitForSelector('#file-error:not([hidden])', { timeout: 15_000 });
  return (await page.textContent('#file-error')) ?? '';
}

describe('uploading a spreadsheet in the dashboard', () => {
  it('uploads a picked .xlsx with progress and lists it with its rows and columns; a dropped .csv joins it, newest first', async () => {
    const { context, page, errors } = await newPage(suite.browser);
    await page.goto(listUrl());
    await expect(page.textContent('#files-title')).resolves.toBe('Spreadsheets');
    await page.waitForSelector('#file-empty:not([hidden])');
    await expect(page.textContent('#file-empty')).resolves.toBe('No spreadsheet uploaded in this project yet.');

    // A slow uplink, so the progress bar has something to show between start and end.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 60_000 });
    await page.evaluate(() => {
      const bar = document.getElementById('file-progress') as HTMLProgressElement;
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver(() => {
        if (!bar.hidden) seen.push(bar.value);
      }).observe(bar, { attributes: true });
    });
    const book = await classBook(1500);
    expect(book.byteLength).toBeGreaterThan(30_000);
    await page.setInputFiles('#file-input', { name: '3학년 A반 명단.xlsx', mimeType: XLSX, buffer: book });
    await expect(page.textContent('#file-status')).resolves.toBe('Uploading 3학년 A반 명단.xlsx…');
    const [first] = await waitForListed(page, 1);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    expect(first?.cells.slice(0, 4)).toEqual(['3학년 A반 명단.xlsx · sheet “3학년 A반”', `${(book.byteLength / 1024).toFixed(1)} KB`, '1500', '번호, 이름, 반, 보호자 연락처, 국어']);
    await expect(page.textContent('#file-status')).resolves.toBe('3학년 A반 명단.xlsx is uploaded: 1500 rows.');
    await expect(page.isHidden('#file-progress')).resolves.toBe(true);
    const progress = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    expect(progress.filter((v) => v > 0 && v < 1).length, `progress values seen: ${progress.join(', ')}`).toBeGreaterThanOrEqual(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    // What the list shows is what the API holds: the same id, the file's own bytes.
    const stored = await fetch(`${suite.nexus.baseUrl}/files/${first?.id}`, { headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id } });
    expect(Buffer.from(await stored.arrayBuffer()).equals(book)).toBe(true);

    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['이름,보호자 연락처\n김민준,010-1111-2222\n이서연,010-3333-4444\n'], '보충 명단.csv', { type: 'text/csv' }));
      document.getElementById('file-drop')?.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    const both = await waitForListed(page, 2);
    expect(both.map((f) => f.cells[0])).toEqual(['보충 명단.csv', '3학년 A반 명단.xlsx · sheet “3학년 A반”']);
    expect(both[0]?.cells.slice(2, 4)).toEqual(['2', '이름, 보호자 연락처']);
    await screenshot(page, 'spreadsheet-upload');

    // A reload finds them again: the list is the API's, not the page's memory.
    await page.reload();
    expect((await waitForListed(page, 2)).map((f) => f.id)).toEqual(both.map((f) => f.id));
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says in words why a file was refused, and lists nothing of it', async () => {
    const { context, page, errors } = await newPage(suite.browser);
    await page.goto(listUrl());
    const before = await waitForListed(page, 2);
    const posts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/files') posts.push(request.url());
    });

    await page.setInputFiles('#file-input', { name: 'grades.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7 not a sheet') });
    await expect(errorShown(page)).resolves.toBe('grades.pdf is not a spreadsheet NEXUS reads. Save it as .xlsx (Excel workbook) or .csv and upload that.');

    await page.setInputFiles('#file-input', { name: 'renamed.xlsx', mimeType: XLSX, buffer: Buffer.from('a text file with an .xlsx name') });
    await page.waitForFunction(() => document.getElementById('file-error')?.textContent?.startsWith('renamed.xlsx'), undefined, { timeout: 15_000 });
    await expect(page.textContent('#file-error')).resolves.toBe('renamed.xlsx is not a spreadsheet NEXUS reads. Save it as .xlsx (Excel workbook) or .csv and upload that.');

    await page.setInputFiles('#file-input', { name: 'blank.csv', mimeType: 'text/csv', buffer: Buffer.from('\n\n\n') });
    await page.waitForFunction(() => document.getElementById('file-error')?.textContent?.startsWith('blank.csv'), undefined, { timeout: 15_000 });
    await expect(page.textContent('#file-error')).resolves.toBe('blank.csv could not be read: the spreadsheet has no rows');
    expect(posts).toHaveLength(3);

    // Over NEXUS_MAX_UPLOAD_BYTES: said at once, and not a byte is sent.
    await page.setInputFiles('#file-input', { name: 'whole school.csv', mimeType: 'text/csv', buffer: Buffer.alloc(MAX_UPLOAD + 1, 0x41) });
    await page.waitForFunction(() => document.getElementById('file-error')?.textContent?.startsWith('whole school.csv'), undefined, { timeout: 15_000 });
    await expect(page.textContent('#file-error')).resolves.toBe('whole school.csv is larger than 195.3 KB, the most this NEXUS accepts. Save only the sheet you need, or split it.');
    expect(posts).toHaveLength(3);

    expect((await listed(page)).map((f) => f.id)).toEqual(before.map((f) => f.id));
    expect(errors).toEqual([]);
    await context.close();
  });

  it('offers the uploads in a spreadsheet agent’s form and shows what would be sent, before anything is', async () => {
    const { context, page, errors } = await newPage(suite.browser);
    const commands: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/sidecar/command') commands.push(request.url());
    });
    await page.goto(listUrl());
    await waitForListed(page, 2);
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('3월');
    sheet.addRow(['번호', '이름', '반', '보호자 연락처', '국어']);
    for (let i = 1; i <= 10; i++) sheet.addRow([i, `학생${i}`, '3-A', i === 3 || i === 6 ? '02-123-4567' : `010-5555-${String(1000 + i)}`, 70 + i]);
    await page.setInputFiles('#file-input', { name: '3월 성적.xlsx', mimeType: XLSX, buffer: Buffer.from(await workbook.xlsx.writeBuffer()) });
    await waitForListed(page, 3);

    await page.selectOption('#agent-select', 'student.excel_kakao');
    const picker = page.locator('select.file-choice');
    await expect(picker.locator('option').allTextContents()).resolves.toEqual([
      'Choose an uploaded spreadsheet…', '3월 성적.xlsx (10 rows)', '보충 명단.csv (2 rows)', '3학년 A반 명단.xlsx (1500 rows)',
    ]);
    await picker.selectOption({ label: '3월 성적.xlsx (10 rows)' });
    // The sheet's headers are offered as placeholders: a click writes one where the cursor is.
    await expect(page.locator('.chips .chip').allTextContents()).resolves.toEqual(['번호', '이름', '반', '보호자 연락처', '국어']);
    await page.fill('[name=template]', '{{student}}({{class}}) 국어 ');
    await page.click('.chips .chip[data-column="국어"]');
    await page.keyboard.type('점');
    await expect(page.inputValue('[name=template]')).resolves.toBe('{{student}}({{class}}) 국어 {{국어}}점');
    await page.waitForFunction(() => document.querySelector('#preview .preview-counts')?.textContent === '8 of 10 rows get a message; 2 left out.', undefined, { timeout: 15_000 });
    await expect(page.textContent('#preview .preview-title')).resolves.toBe('YELLOW 알림톡 메시지 8건 작성 (발송하지 않음)');
    await expect(page.locator('#preview .preview-samples li').first().textContent()).resolves.toBe('row 2 · 010-5555-1001학생1(3-A) 국어 71점');
    const leftOut = await page.locator('#preview .preview-left-out li').allTextContents();
    expect(leftOut.map((text) => text.split(':')[0])).toEqual(['row 4', 'row 7']);
    expect(leftOut.every((text) => text.length > 'row 4: '.length)).toBe(true);
    await screenshot(page, 'spreadsheet-preview');

    // A template naming no column cannot be previewed, and the page says why.
    await page.fill('[name=template]', '{{student}}의 {{과학}} 점수');
    await page.waitForFunction(() => document.querySelector('#preview .field-error')?.textContent?.startsWith('Cannot preview: the template uses {{과학}}'), undefined, { timeout: 15_000 });
    expect(commands).toEqual([]);
    await expect(page.locator('article.card').count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('speaks Korean to a Korean browser', async () => {
    const { context, page, errors } = await newPage(suite.browser, { locale: 'ko-KR' });
    await page.goto(listUrl());
    await expect(page.textContent('#files-title')).resolves.toBe('스프레드시트');
    await waitForListed(page, 3);
    await expect(page.textContent('#file-list thead')).resolves.toBe('파일크기행열올린 시각');
    await page.setInputFiles('#file-input', { name: '성적.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7') });
    await expect(errorShown(page)).resolves.toBe('성적.pdf은(는) NEXUS가 읽는 스프레드시트가 아닙니다. .xlsx(Excel 통합 문서)나 .csv로 저장해서 올려 주세요.');
    await page.setInputFiles('#file-input', { name: '명단.csv', mimeType: 'text/csv', buffer: Buffer.from('이름,연락처\n김민준,010-1111-2222\n') });
    await page.waitForFunction(() => document.getElementById('file-status')?.textContent === '명단.csv을(를) 올렸습니다: 1행.', undefined, { timeout: 15_000 });
    await waitForListed(page, 4);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('maps the columns NEXUS could not guess, one choice per field, and sends only what the teacher chose', async () => {
    const { context, page, errors } = await newPage(suite.browser);
    const sent: unknown[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/sidecar/command') sent.push(request.postDataJSON());
    });
    await page.goto(listUrl());
    await waitForListed(page, 4);
    // Headers no detector knows: whose number is it, and who is the child?
    await page.setInputFiles('#file-input', { name: '가정통신 명단.csv', mimeType: 'text/csv', buffer: Buffer.from('번호,아이,엄마 번호,아빠 번호\n1,김하늘,010-2222-0001,010-3333-0001\n2,이바다,,010-3333-0002\n') });
    await waitForListed(page, 5);
    await page.selectOption('#agent-select', 'student.excel_kakao');
    const fields = () => page.evaluate(() => [...document.querySelectorAll<HTMLSelectElement>('.column-map select')]
      .filter((select) => !select.closest('[hidden]'))
      .map((select) => ({ field: select.dataset.field, value: select.value, auto: select.options[0]?.textContent, options: select.options.length })));
    await expect(page.isVisible('.column-map select')).resolves.toBe(false);

    await page.selectOption('select.file-choice', { label: '가정통신 명단.csv (2 rows)' });
    await page.fill('[name=template]', '{{student}} 학부모님, 안내드립니다.');
    // Detection finds the number but no phone: the preview says so, and each field offers the sheet's headers.
    await page.waitForFunction(() => document.querySelector('#preview .field-error')?.textContent?.includes('no phone column found'), undefined, { timeout: 15_000 });
    const before = await fields();
    expect(before.map((f) => f.field)).toEqual(['student', 'phone', 'class', 'grade', 'number', 'score', 'month']);
    expect(before.every((f) => f.value === '' && f.options === 5 && f.auto === 'automatic')).toBe(true);

    await page.selectOption('[name="columns.phone"]', '엄마 번호');
    await page.selectOption('[name="columns.student"]', '아이');
    await page.waitForFunction(() => document.querySelector('#preview .preview-counts')?.textContent === '1 of 2 rows get a message; 1 left out.', undefined, { timeout: 15_000 });
    await expect(page.locator('#preview .preview-samples li').first().textContent()).resolves.toBe('row 2 · 010-2222-0001김하늘 학부모님, 안내드립니다.');
    // What was left to detection says what it found, once the preview has answered.
    await page.waitForFunction(() => (document.querySelector('[name="columns.number"]') as HTMLSelectElement | null)?.options[0]?.textContent === 'automatic: 번호', undefined, { timeout: 15_000 });
    expect((await fields()).map((f) => [f.field, f.value || f.auto])).toEqual([
      ['student', '아이'], ['phone', '엄마 번호'], ['class', 'automatic: none found'], ['grade', 'automatic: none found'],
      ['number', 'automatic: 번호'], ['score', 'automatic: none found'], ['month', 'automatic: none found'],
    ]);

    await page.click('form.composer button[type=submit]');
    await page.waitForFunction(() => document.querySelector('.composer-status')?.textContent?.startsWith('Sent'), undefined, { timeout: 15_000 })
      .catch(async (err: unknown) => { throw new Error(`${String(err)}; status: ${await page.textContent('.composer-status')}; sent ${JSON.stringify(sent)}`); });
    expect(sent).toHaveLength(1);
    expect((sent[0] as { params: unknown }).params).toEqual({
      file_id: expect.any(String), template: '{{student}} 학부모님, 안내드립니다.', channel: 'outbox', columns: { student: '아이', phone: '엄마 번호' },
    });

    // Another sheet: a choice it has no column for goes back to automatic.
    await page.selectOption('select.file-choice', { label: '보충 명단.csv (2 rows)' });
    await page.waitForFunction(() => document.querySelector('#preview .preview-counts')?.textContent === '2 of 2 rows get a message; 0 left out.', undefined, { timeout: 15_000 });
    expect((await fields()).slice(0, 2).map((f) => [f.field, f.value, f.auto])).toEqual([['student', '', 'automatic: 이름'], ['phone', '', 'automatic: 보호자 연락처']]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('attaches spreadsheets to an instruction by ticking them, and sends their ids with it', async () => {
    const { context, page, errors } = await newPage(suite.browser);
    const sent: unknown[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/sidecar/command') sent.push(request.postDataJSON());
    });
    await page.goto(listUrl());
    const files = await waitForListed(page, 5);
    await page.click('label[for=kind-instruction]');
    const offered = await page.evaluate(() => [...document.querySelectorAll('.attachment-picker label')].map((label) => label.textContent));
    expect(offered).toEqual(['가정통신 명단.csv (2 rows)', '명단.csv (1 row)', '3월 성적.xlsx (10 rows)', '보충 명단.csv (2 rows)', '3학년 A반 명단.xlsx (1500 rows)']);
    await page.check('.attachment-picker label:text-is("3월 성적.xlsx (10 rows)")');
    await page.check('.attachment-picker label:text-is("보충 명단.csv (2 rows)")');
    await page.fill('#instruction', '3월 성적을 학부모님께 보낼 메시지를 만들어 줘');
    await page.click('form.composer button[type=submit]');
    await page.waitForFunction(() => document.querySelector('.composer-status')?.textContent?.startsWith('Sent'), undefined, { timeout: 15_000 });
    expect(sent).toEqual([expect.objectContaining({ type: 'instruction', text: '3월 성적을 학부모님께 보낼 메시지를 만들어 줘', attachments: [files[2]?.id, files[3]?.id] })]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
