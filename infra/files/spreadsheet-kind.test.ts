import { describe, expect, it } from 'vitest';
import { spreadsheetKind, XLSX_TYPE } from './spreadsheet-kind.js';

const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]);
const csv = Buffer.from('이름,연락처\n김민준,010-1234-5678\n');

describe('spreadsheetKind', () => {
  it('accepts .xlsx zips and .csv text with the usual declared types', () => {
    expect(spreadsheetKind('grades.xlsx', XLSX_TYPE, zip)).toBe('xlsx');
    expect(spreadsheetKind('GRADES.XLSX', 'application/octet-stream', zip)).toBe('xlsx');
    expect(spreadsheetKind('grades.csv', 'text/csv; charset=utf-8', csv)).toBe('csv');
    expect(spreadsheetKind('grades.csv', '', csv)).toBe('csv');
  });
  it('refuses other extensions, mismatched types and bytes that disagree with the name', () => {
    expect(spreadsheetKind('grades.xls', XLSX_TYPE, zip)).toBeUndefined();
    expect(spreadsheetKind('grades.pdf', 'application/pdf', csv)).toBeUndefined();
    expect(spreadsheetKind('grades.csv', 'image/png', csv)).toBeUndefined();
    expect(spreadsheetKind('grades.xlsx', XLSX_TYPE, csv)).toBeUndefined();
    expect(spreadsheetKind('grades.csv', 'text/csv', zip.map((b, i) => (i === 4 ? 0 : b)))).toBeUndefined();
  });
});
