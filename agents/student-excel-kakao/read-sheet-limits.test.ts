import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { spreadsheetLimits } from '../../infra/files/spreadsheet-limits.js';
import { buildZip, deflatedEntry, honestBomb, lyingBomb } from '../../test/support/zip-builder.js';
import { readSheet } from './read-sheet.js';

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
      await expect(readSheet('xlsx', bomb)).rejects.toMatchObject({ name: 'AgentError', code: 'spreadsheet_too_large', retryable: false });
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
});
