import { zipLimits, type ZipLimits } from './zip-limits.js';

/** What a spreadsheet may hold; the same object bounds `POST /files` and the agents that read the file. */
export interface SpreadsheetLimits {
  /** Checked on an .xlsx (a zip) before exceljs inflates it. */
  zip: ZipLimits;
  /** A CSV's bytes, for files that reached the blob store by another way than an upload capped in size. */
  maxCsvBytes: number;
  /** Data rows (the header not counted), .xlsx or CSV; more is refused rather than silently cut short. */
  maxRows: number;
  /** Worksheets in an .xlsx: exceljs loads every one, and each costs far more than its XML. */
  maxSheets: number;
  /** Sum of the worksheets' XML, however many small sheets it is split into. */
  maxSheetXmlBytes: number;
  /** .xlsx files one process reads at once; more wait their turn, so N previews cost what this many do. */
  maxConcurrentReads: number;
}

const MiB = 1024 * 1024;

export const SPREADSHEET_LIMITS: SpreadsheetLimits = Object.freeze({
  // exceljs holds about 8× an .xlsx's uncompressed XML while loading it (measured: 40 MiB of sheet XML, 100k rows
  // of 10 cells, took 317 MiB of RSS); 32 MiB keeps one preview near 260 MiB, inside the worker's 768 MiB heap,
  // and is still tens of thousands of rows, far beyond a class list.
  zip: Object.freeze(zipLimits({ maxTotalUncompressedBytes: 32 * MiB })),
  maxCsvBytes: 16 * MiB,
  maxRows: 100_000,
  // Measured: 120 sheets of 255 KiB (30 MiB of XML, each entry under the ratio check) took one preview from 315 to
  // 721 MiB of RSS. A class list is one sheet, a school's workbook a few dozen at most.
  maxSheets: 32,
  maxSheetXmlBytes: 16 * MiB,
  maxConcurrentReads: 2,
});

export function spreadsheetLimits(overrides: Partial<SpreadsheetLimits> = {}): SpreadsheetLimits {
  return { ...SPREADSHEET_LIMITS, ...overrides };
}
