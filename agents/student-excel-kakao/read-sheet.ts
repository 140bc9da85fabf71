import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { SpreadsheetKind } from '../../files/spreadsheet-kind.js';
import { AgentError } from '../agent-error.js';

export interface SheetRow {
  /** The row number the teacher sees in Excel (1 is the header). */
  row: number;
  values: Record<string, string>;
}

export interface Sheet {
  headers: string[];
  rows: SheetRow[];
}

/** Reads the first worksheet (or the named one) of an .xlsx, or a CSV in UTF-8 or EUC-KR; the first row is the header. */
export async function readSheet(kind: SpreadsheetKind, bytes: Uint8Array, sheetName?: string): Promise<Sheet> {
  try {
    return kind === 'xlsx' ? await readXlsx(bytes, sheetName) : readCsv(bytes);
  } catch (err) {
    if (err instanceof AgentError) throw err;
    throw new AgentError('file_unreadable', `the spreadsheet could not be read: ${(err as Error).message}`, false);
  }
}

async function readXlsx(bytes: Uint8Array, sheetName?: string): Promise<Sheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.from(bytes) as unknown as ExcelJS.Buffer);
  const sheet = sheetName ? workbook.getWorksheet(sheetName) : workbook.worksheets[0];
  if (!sheet) throw new AgentError('sheet_not_found', sheetName ? `no worksheet named "${sheetName}"` : 'the workbook has no worksheet', false);
  const table: Array<{ row: number; cells: string[] }> = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value);
    });
    table.push({ row: rowNumber, cells: Array.from(cells, (c) => c ?? '') });
  });
  return toSheet(table);
}

function readCsv(bytes: Uint8Array): Sheet {
  const records = parse(decodeText(bytes), { bom: true, relax_column_count: true, skip_empty_lines: true, info: true }) as unknown as Array<{
    record: string[];
    info: { lines: number };
  }>;
  return toSheet(records.map(({ record, info }) => ({ row: info.lines, cells: record })));
}

/** UTF-8 when it is valid UTF-8; otherwise EUC-KR, which Korean Excel still uses for "CSV" exports. */
function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('euc-kr').decode(bytes);
  }
}

function toSheet(table: Array<{ row: number; cells: string[] }>): Sheet {
  const [head, ...body] = table;
  if (!head) throw new AgentError('file_empty', 'the spreadsheet has no rows', false);
  const headers = head.cells.map((h, i) => h.trim() || `column_${i + 1}`);
  const rows = body
    .filter(({ cells }) => cells.some((c) => c.trim() !== ''))
    .map(({ row, cells }) => ({ row, values: Object.fromEntries(headers.map((h, i) => [h, (cells[i] ?? '').trim()])) }));
  return { headers, rows };
}

/** Excel cells hold numbers, dates, rich text, formulas and links; a message wants the text a person would read. */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: ExcelJS.CellValue }).result ?? null);
  if ('text' in value) return typeof value.text === 'string' ? value.text : cellText(value.text as ExcelJS.CellValue);
  if ('error' in value) return '';
  return '';
}
