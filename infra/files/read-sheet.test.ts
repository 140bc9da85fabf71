import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readSheet } from './read-sheet.js';

describe('readSheet', () => {
  it('reads an .xlsx with Excel row numbers, numbers as Excel shows them, and skips empty rows', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('성적');
    workbook.addWorksheet('메모');
    sheet.addRow(['이름', '보호자 연락처', '점수']);
    sheet.addRow(['김민준', '010-1234-5678', 95]);
    sheet.addRow([]);
    sheet.addRow([{ richText: [{ text: '이' }, { text: '서연' }] }, 1098765432, { formula: '40+50', result: 90 }]);
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    expect(await readSheet('xlsx', bytes)).toEqual({
      worksheet: '성적',
      worksheets: ['성적', '메모'],
      headers: ['이름', '보호자 연락처', '점수'],
      rows: [
        { row: 2, values: { 이름: '김민준', '보호자 연락처': '010-1234-5678', 점수: '95' } },
        { row: 4, values: { 이름: '이서연', '보호자 연락처': '1098765432', 점수: '90' } },
      ],
    });
  });

  it('reads UTF-8 CSV with a BOM and quoted fields', async () => {
    const csv = '\uFEFF이름,연락처,메모\n김민준,010-1234-5678,"수학, 과학"\n\n박지호,010-2222-3333,\n';
    const sheet = await readSheet('csv', Buffer.from(csv));
    expect(sheet.headers).toEqual(['이름', '연락처', '메모']);
    expect(sheet.rows.map((r) => [r.row, r.values['메모']])).toEqual([[2, '수학, 과학'], [4, '']]);
  });

  it('reads EUC-KR CSV as Korean Excel exports it', async () => {
    // "이름,연락처\n김민준,010-1234-5678\n" in EUC-KR
    const bytes = new Uint8Array([0xc0, 0xcc, 0xb8, 0xa7, 0x2c, 0xbf, 0xac, 0xb6, 0xf4, 0xc3, 0xb3, 0x0a, 0xb1, 0xe8, 0xb9, 0xce, 0xc1, 0xd8, 0x2c,
      ...Buffer.from('010-1234-5678\n')]);
    const sheet = await readSheet('csv', bytes);
    expect(sheet.headers).toEqual(['이름', '연락처']);
    expect(sheet.rows[0]?.values).toEqual({ 이름: '김민준', 연락처: '010-1234-5678' });
  });

  it('refuses a file that is not what it claims with a stable code', async () => {
    await expect(readSheet('xlsx', Buffer.from('not a zip'))).rejects.toMatchObject({ code: 'file_unreadable', retryable: false });
  });
});
