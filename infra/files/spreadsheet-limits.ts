import { zipLimits, type ZipLimits } from './zip-limits.js';

/** What a spreadsheet may hold; the same object bounds `POST /files` and the agents that read the file. */
export interface SpreadsheetLimits {
  /** Checked on an .xlsx (a zip) before exceljs inflates it. */
  zip: ZipLimits;
  /** A CSV's bytes, for files that reached the blob store by another way than an upload capped in size. */
  maxCsvBytes: number;
  /** Data rows (the header not counted), .xlsx or CSV; more is refused rather than silently cut short. */
  maxRows: number;
}

const MiB = 1024 * 1024;

export const SPREADSHEET_LIMITS: SpreadsheetLimits = Object.freeze({
  // exceljs holds about 8× an .xlsx's uncompressed XML while loading it (measured: 40 MiB of sheet XML, 100k rows
  // of 10 cells, took 317 MiB of RSS); 32 MiB keeps one preview near 260 MiB, inside the worker's 768 MiB heap,
  // and is still tens of thousands of rows, far beyond a class list.
  zip: Object.freeze(zipLimits({ maxTotalUncompressedBytes: 32 * MiB })),
  maxCsvBytes: 16 * MiB,
  maxRows: 100_000,
});

export function spreadsheetLimits(overrides: Partial<SpreadsheetLimits> = {}): SpreadsheetLimits {
  return { ...SPREADSHEET_LIMITS, ...overrides };
}
