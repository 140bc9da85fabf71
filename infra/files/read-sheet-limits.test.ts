import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { SPREADSHEET_LIMITS, spreadsheetLimits } from './spreadsheet-limits.js';
import { buildZip, deflatedEntry, honestBomb, lyingBomb, manySmallSheets } from '../../test/support/zip-builder.js';
import { peakRssGrowth } from '../../test/support/peak-rss.js';
import { readSheet, xlsxReads } from './read-sheet.js';

const MiB = 1024 * 1024;

async function workbook(rows: number): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('명단');
  sheet.addRow(['이름', '연락처']);
  for (let i = 0; i < rows; i++) sheet.addRow([`학생${i}`, '010-1234-5678']);
  return new Uint8Array(await book.xlsx.writeBuffer());
}

describe('readSheet limits', () => {
  it('refuses an honest and a lying zip bomb before exceljs inflates them, final and fast, memory flat', async () => {
    for (const bomb of [honestBomb(600), lyingBomb(600)]) {
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      await expect(readSheet('xlsx', bomb)).rejects.toMatchObject({ name: 'SheetError', code: 'spreadsheet_too_large', retryable: false });
      expect(performance.now() - started).toBeLessThan(500);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * MiB);
    }
  });

  it('refuses a zip it cannot read safely as file_unreadable, not retryable', async () => {
    const entry = deflatedEntry('xl/workbook.xml', '<workbook/>');
    const overlapping = buildZip([entry, { ...entry, name: 'xl/other.xml', sameDataAs: 0 }]);
    const truncated = (await workbook(3)).subarray(0, 500);
    for (const bytes of [overlapping, truncated, buildZip([{ ...entry, flags: 1 }])]) {
      await expect(readSheet('xlsx', bytes)).rejects.toMatchObject({ code: 'file_unreadable', retryable: false });
    }
  });

  it('refuses more rows than maxRows rather than cutting the list short, in .xlsx and CSV', async () => {
    const limits = spreadsheetLimits({ maxRows: 3 });
    expect((await readSheet('xlsx', await workbook(3), undefined, limits)).rows).toHaveLength(3);
    await expect(readSheet('xlsx', await workbook(4), undefined, limits)).rejects.toMatchObject({ code: 'spreadsheet_too_large', retryable: false });
    const csv = (rows: number) => Buffer.from(['이름,연락처', ...Array.from({ length: rows }, (_, i) => `학생${i},010-1234-5678`)].join('\n'));
    expect((await readSheet('csv', csv(3), undefined, limits)).rows).toHaveLength(3);
    await expect(readSheet('csv', csv(4), undefined, limits)).rejects.toMatchObject({ code: 'spreadsheet_too_large', retryable: false });
  });

  it('refuses a CSV over maxCsvBytes without parsing it', async () => {
    const limits = spreadsheetLimits({ maxCsvBytes: 1000 });
    await expect(readSheet('csv', Buffer.alloc(1001, 0x41), undefined, limits)).rejects.toMatchObject({ code: 'spreadsheet_too_large', retryable: false });
  });

  it('refuses many small sheets that add up: 20 concurrent previews of 120 sheets of 255 KiB cost no memory', async () => {
    const manySheets = manySmallSheets(120, 255);
    const { growth, result } = await peakRssGrowth(() => Promise.allSettled(Array.from({ length: 20 }, () => readSheet('xlsx', manySheets))));
    for (const outcome of result) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'spreadsheet_too_large', retryable: false } });
    expect((result[0] as PromiseRejectedResult).reason.message).toMatch(/120 worksheets; at most 32/);
    expect(growth).toBeLessThan(64 * MiB);
  });

  it('reads workbooks within the limits two at a time: 20 concurrent previews cost about what two do', async () => {
    // 16 sheets of ~250 KiB: 4 MiB of sheet XML, well inside the limits, some 50 MiB of RSS to load once.
    const book = new ExcelJS.Workbook();
    for (let s = 0; s < 16; s++) {
      const sheet = book.addWorksheet(`반${s + 1}`);
      sheet.addRow(['이름', '연락처', '점수', '석차']);
      for (let r = 0; r < 1500; r++) sheet.addRow([`학생${r}`, '010-1234-5678', r * 1.5, r]);
    }
    const bytes = new Uint8Array(await book.xlsx.writeBuffer());
    const one = await peakRssGrowth(() => readSheet('xlsx', bytes));
    expect(one.result.rows).toHaveLength(1500);
    let most = 0;
    let queued = 0;
    const watch = setInterval(() => {
      const { active, waiting } = xlsxReads();
      most = Math.max(most, active);
      queued = Math.max(queued, waiting);
    }, 1);
    const twenty = await peakRssGrowth(() => Promise.all(Array.from({ length: 20 }, () => readSheet('xlsx', bytes)))).finally(() => clearInterval(watch));
    expect(twenty.result.every((sheet) => sheet.rows.length === 1500)).toBe(true);
    expect(most).toBe(SPREADSHEET_LIMITS.maxConcurrentReads);
    expect(queued).toBeGreaterThan(0);
    // Unbounded, twenty loads at once cost about twenty times one (measured: four loads of a workbook four times
    // this size took 350 MiB). Two at a time, what remains is garbage the collector has not taken back yet.
    console.info(`read-sheet RSS growth: one preview ${Math.round(one.growth / MiB)} MiB, twenty concurrent ${Math.round(twenty.growth / MiB)} MiB`);
    expect(twenty.growth).toBeLessThan(512 * MiB);
  }, 120_000);
});
