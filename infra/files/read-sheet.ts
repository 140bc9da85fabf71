import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import pLimit from 'p-limit';
import type { SpreadsheetKind } from './spreadsheet-kind.js';
import { SPREADSHEET_LIMITS, type SpreadsheetLimits } from './spreadsheet-limits.js';
import { checkWorkbook } from './workbook-guard.js';
import { ZipRefusal } from './zip-refusal.js';

/** A spreadsheet over the limits: final (the same bytes are refused again on every retry), so not retryable. */
export const SPREADSHEET_TOO_LARGE = 'spreadsheet_too_large';

export type SheetErrorCode = typeof SPREADSHEET_TOO_LARGE | 'file_unreadable' | 'file_empty' | 'sheet_not_found';

/** A spreadsheet NEXUS will not read; the same bytes fail the same way every time, so never worth a retry. */
export class SheetError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: SheetErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SheetError';
  }
}

export interface SheetRow {
  /** The row number the teacher sees in Excel (1 is the header). */
  row: number;
  values: Record<string, string>;
}

export interface Sheet {
  /** The worksheet read (null for a CSV) and every worksheet of the workbook, in order. */
  worksheet: string | null;
  worksheets: string[];
  headers: string[];
  rows: SheetRow[];
}

/**
 * Reads the first worksheet (or the named one) of an .xlsx, or a CSV in UTF-8 or EUC-KR; the first row is the header.
 * Uploads were checked already, but a file can reach the blob store another way, so the limits are checked again
 * here before exceljs inflates anything: a zip bomb fails with `spreadsheet_too_large`, a zip that cannot be read
 * safely with `file_unreadable`, neither retryable.
 */
export async function readSheet(kind: SpreadsheetKind, bytes: Uint8Array, sheetName?: string, limits: SpreadsheetLimits = SPREADSHEET_LIMITS): Promise<Sheet> {
  try {
    return kind === 'xlsx' ? await readXlsx(bytes, sheetName, limits) : readCsv(bytes, limits);
  } catch (err) {
    if (err instanceof ZipRefusal) {
      throw err.code === 'zip_too_large'
        ? new SheetError(SPREADSHEET_TOO_LARGE, `the spreadsheet unpacks to more than NEXUS reads: ${err.message}`)
        : new SheetError('file_unreadable', `the spreadsheet could not be read safely: ${err.message}`);
    }
    if (err instanceof SheetError) throw err;
    throw new SheetError('file_unreadable', `the spreadsheet could not be read: ${(err as Error).message}`);
  }
}

/**
 * Previews and sends of every command in this process share these turns: exceljs holds a workbook at several
 * times its size, so twenty concurrent previews must cost what `maxConcurrentReads` do, not twenty times that.
 */
const xlsxTurns = pLimit(SPREADSHEET_LIMITS.maxConcurrentReads);

/** Workbooks being loaded right now and waiting for their turn, in this process (for tests and metrics). */
export function xlsxReads(): { active: number; waiting: number } {
  return { active: xlsxTurns.activeCount, waiting: xlsxTurns.pendingCount };
}

async function readXlsx(bytes: Uint8Array, sheetName: string | undefined, limits: SpreadsheetLimits): Promise<Sheet> {
  // Before exceljs: it inflates every entry of the zip into memory, and would do so for a bomb too.
  await checkWorkbook(bytes, limits);
  return xlsxTurns(() => loadXlsx(bytes, sheetName, limits));
}

async function loadXlsx(bytes: Uint8Array, sheetName: string | undefined, limits: SpreadsheetLimits): Promise<Sheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.from(bytes) as unknown as ExcelJS.Buffer);
  const sheet = sheetName ? workbook.getWorksheet(sheetName) : workbook.worksheets[0];
  if (!sheet) throw new SheetError('sheet_not_found', sheetName ? `no worksheet named "${sheetName}"` : 'the workbook has no worksheet');
  if (sheet.actualRowCount > limits.maxRows + 1) throw tooManyRows(limits);
  const table: Array<{ row: number; cells: string[] }> = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cellText(cell.value);
    });
    table.push({ row: rowNumber, cells: Array.from(cells, (c) => c ?? '') });
  });
  return toSheet(table, sheet.name, workbook.worksheets.map((w) => w.name));
}

function readCsv(bytes: Uint8Array, limits: SpreadsheetLimits): Sheet {
  if (bytes.byteLength > limits.maxCsvBytes) {
    throw new SheetError(SPREADSHEET_TOO_LARGE, `the CSV is ${bytes.byteLength} bytes; at most ${limits.maxCsvBytes} are read`);
  }
  // `to` stops the parser one record past the limit (header + maxRows + 1): enough to know, without parsing the rest.
  const records = parse(decodeText(bytes), { bom: true, relax_column_count: true, skip_empty_lines: true, info: true, to: limits.maxRows + 2 }) as unknown as Array<{
    record: string[];
    info: { lines: number };
  }>;
  if (records.length > limits.maxRows + 1) throw tooManyRows(limits);
  return toSheet(records.map(({ record, info }) => ({ row: info.lines, cells: record })), null, []);
}

/** Refused, not cut short: a message list silently missing its last rows would reach some parents and not others. */
function tooManyRows(limits: SpreadsheetLimits): SheetError {
  return new SheetError(SPREADSHEET_TOO_LARGE, `the spreadsheet has more than ${limits.maxRows} rows; at most ${limits.maxRows} are read`);
}

/** UTF-8 when it is valid UTF-8; otherwise EUC-KR, which Korean Excel still uses for "CSV" exports. */
function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('euc-kr').decode(bytes);
  }
}

function toSheet(table: Array<{ row: number; cells: string[] }>, worksheet: string | null, worksheets: string[]): Sheet {
  const [head, ...body] = table;
  if (!head) throw new SheetError('file_empty', 'the spreadsheet has no rows');
  const headers = head.cells.map((h, i) => h.trim() || `column_${i + 1}`);
  const rows = body
    .filter(({ cells }) => cells.some((c) => c.trim() !== ''))
    .map(({ row, cells }) => ({ row, values: Object.fromEntries(headers.map((h, i) => [h, (cells[i] ?? '').trim()])) }));
  return { worksheet, worksheets, headers, rows };
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
