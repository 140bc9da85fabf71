export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const CSV_TYPE = 'text/csv';

export type SpreadsheetKind = 'xlsx' | 'csv';

/** Content types a client may declare for each kind; browsers send octet-stream or Excel's CSV type freely. */
const DECLARED: Record<SpreadsheetKind, readonly string[]> = {
  xlsx: [XLSX_TYPE, 'application/octet-stream', 'application/zip', ''],
  csv: [CSV_TYPE, 'application/csv', 'text/plain', 'application/vnd.ms-excel', 'application/octet-stream', ''],
};

/**
 * Decides what an upload is from its name, the declared type and the bytes themselves. Extension and declared
 * type alone are the client's word; the bytes must agree (an .xlsx is a zip, a CSV is text), so a renamed binary
 * is refused rather than stored.
 */
export function spreadsheetKind(name: string, declaredType: string, bytes: Uint8Array): SpreadsheetKind | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  if (extension !== 'xlsx' && extension !== 'csv') return undefined;
  const declared = declaredType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!DECLARED[extension].includes(declared)) return undefined;
  if (extension === 'xlsx') return isZip(bytes) ? 'xlsx' : undefined;
  return isText(bytes) ? 'csv' : undefined;
}

export function kindFromContentType(contentType: string): SpreadsheetKind {
  return contentType === XLSX_TYPE ? 'xlsx' : 'csv';
}

function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Text means no NUL bytes; the encoding (UTF-8 or the EUC-KR Korean Excel still writes) is sorted out on reading. */
function isText(bytes: Uint8Array): boolean {
  return !bytes.includes(0);
}
