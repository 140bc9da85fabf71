import type { SpreadsheetLimits } from './spreadsheet-limits.js';
import { checkZip } from './zip-guard.js';
import { tooLarge } from './zip-refusal.js';

const WORKSHEET = /^xl\/worksheets\/[^/]+\.xml$/i;

/**
 * Everything an .xlsx passes before exceljs may load it: the zip checks, then what exceljs makes of a workbook —
 * it builds every worksheet, and a sheet costs many times its XML, so the number of sheets and their XML together
 * are bounded too (many small sheets cannot sum past what one large one may hold). Throws ZipRefusal.
 */
export async function checkWorkbook(bytes: Uint8Array, limits: SpreadsheetLimits): Promise<void> {
  const sheets = (await checkZip(bytes, limits.zip)).filter((entry) => WORKSHEET.test(entry.path));
  if (sheets.length > limits.maxSheets) throw tooLarge(`${sheets.length} worksheets; at most ${limits.maxSheets} are read`);
  const xml = sheets.reduce((sum, sheet) => sum + sheet.uncompressedSize, 0);
  if (xml > limits.maxSheetXmlBytes) throw tooLarge(`${xml} bytes of worksheet XML; at most ${limits.maxSheetXmlBytes} are read`);
}
