import { Hono } from 'hono';
import { CSV_TYPE, spreadsheetKind, XLSX_TYPE } from '../../infra/files/spreadsheet-kind.js';
import { SPREADSHEET_LIMITS } from '../../infra/files/spreadsheet-limits.js';
import { checkWorkbook } from '../../infra/files/workbook-guard.js';
import { ZipRefusal } from '../../infra/files/zip-refusal.js';
import { readSheet, SheetError, SPREADSHEET_TOO_LARGE } from '../../infra/files/read-sheet.js';
import { FILE_KINDS, FILE_LIST_DEFAULT, FILE_LIST_MAX, type FileInfo, type FileKind, type FileList, type SheetSummary } from '../../contracts/index.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { readLimited } from '../middleware/json-body.js';
import { requireRole } from '../middleware/auth.js';
import { orgRateLimit } from '../middleware/limits.js';

/** Room for multipart boundaries and part headers on top of the file itself. */
const MULTIPART_ENVELOPE_BYTES = 16 * 1024;

/**
 * `POST /files`: a spreadsheet for an agent to read, referenced afterwards by `file_id`. A resource is created, so
 * the answer is 201 (commands and approvals stay 202). Either multipart/form-data with a `file` field, or the raw
 * bytes with their content type and an `x-filename` header (URL-encoded, since headers are Latin-1).
 * An .xlsx is a zip: its directory and its actual inflated sizes are checked against SPREADSHEET_LIMITS before it
 * is stored, so a zip bomb is refused here (413 `spreadsheet_too_large`, 422 `spreadsheet_invalid`) and never
 * reaches the worker. The agent checks again, for files that got into the store another way.
 * The sheet is read before it is stored (worksheets, header row, row count), so one no agent could read is refused
 * here, and the answer and every listing say what is in it.
 * `GET /files`: the tenant's files, newest first (`kind=spreadsheet` for uploads, `outbox` for agents' records).
 * `GET /files/{file_id}`: the bytes back (outbox records are files too); another tenant's id is a 404.
 */
export function fileRoutes(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.files' });
  const max = deps.files.maxUploadBytes;

  app.post('/files', requireRole('operator'), orgRateLimit(deps), async (c) => {
    const type = c.req.header('content-type') ?? '';
    const multipart = /^multipart\/form-data\s*;/i.test(type);
    const limit = max + (multipart ? MULTIPART_ENVELOPE_BYTES : 0);
    if (Number(c.req.header('content-length') ?? '0') > limit) throw tooLarge(max);
    const raw = await readLimited(c.req.raw, limit).catch((err: unknown) => {
      throw err instanceof ApiError && err.status === 413 ? tooLarge(max) : err;
    });
    const upload = multipart ? await fromMultipart(type, raw) : fromRawBody(type, c.req.header('x-filename'), raw);
    if (upload.bytes.byteLength > max) throw tooLarge(max);
    if (upload.bytes.byteLength === 0) throw new ApiError(400, 'invalid_request', 'the file is empty');
    const kind = spreadsheetKind(upload.name, upload.type, upload.bytes);
    if (!kind) throw new ApiError(415, 'unsupported_media_type', 'only .xlsx and .csv spreadsheets are accepted');

    const t = c.get('tenant');
    if (kind === 'xlsx') {
      await checkWorkbook(upload.bytes, SPREADSHEET_LIMITS).catch((err: unknown) => {
        if (!(err instanceof ZipRefusal)) throw err;
        log.warn({ org_id: t.org_id, project_id: t.project_id, size: upload.bytes.byteLength, reason: err.code, detail: err.message }, 'spreadsheet refused');
        throw spreadsheetRefused(err);
      });
    }
    // Read now, so a sheet no agent could read is refused while the person is still there, and the answer (and
    // every listing after) says what is in it: the worksheets, the header row and how many rows.
    const sheet = await readSheet(kind, upload.bytes).catch((err: unknown) => {
      if (!(err instanceof SheetError)) throw err;
      log.warn({ org_id: t.org_id, project_id: t.project_id, size: upload.bytes.byteLength, reason: err.code, detail: err.message }, 'spreadsheet refused');
      throw err.code === SPREADSHEET_TOO_LARGE
        ? new ApiError(413, 'spreadsheet_too_large', err.message)
        : new ApiError(422, 'spreadsheet_invalid', err.message);
    });
    const summary: SheetSummary = { worksheet: sheet.worksheet, worksheets: sheet.worksheets, rows: sheet.rows.length, columns: sheet.headers };
    const meta = await deps.files.store.put(t, upload.name, kind === 'xlsx' ? XLSX_TYPE : CSV_TYPE, upload.bytes, summary);
    log.info({ org_id: t.org_id, project_id: t.project_id, file_id: meta.file_id, size: meta.size, kind, rows: summary.rows }, 'file stored');
    return c.json(meta satisfies FileInfo, 201);
  });

  app.get('/files', requireRole(['operator', 'approver', 'viewer']), async (c) => {
    const { limit, kind } = fileListQuery(c.req.query('limit'), c.req.query('kind'));
    const accept = kind === undefined ? () => true : kind === 'spreadsheet' ? isSpreadsheet : (meta: FileInfo) => !isSpreadsheet(meta);
    const list: FileList = await deps.files.store.list(c.get('tenant'), limit, accept);
    return c.json(list, 200, { 'cache-control': 'no-store' });
  });

  app.get('/files/:file_id', requireRole(['operator', 'approver', 'viewer']), async (c) => {
    const found = await deps.files.store.get(c.get('tenant'), c.req.param('file_id'));
    if (!found) throw new ApiError(404, 'not_found', 'no such file in this tenant');
    return c.body(found.bytes.slice().buffer, 200, {
      'content-type': found.meta.content_type,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(found.meta.name)}`,
      // Uploaded bytes are never rendered as something else (a "CSV" sniffed as HTML), nor kept by a shared cache.
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
  });

  return app;
}

function fileListQuery(rawLimit: string | undefined, rawKind: string | undefined): { limit: number; kind: FileKind | undefined } {
  const limit = rawLimit === undefined ? FILE_LIST_DEFAULT : Number(rawLimit);
  if (!/^\d+$/.test(rawLimit ?? '1') || !Number.isInteger(limit) || limit < 1 || limit > FILE_LIST_MAX) {
    throw new ApiError(400, 'invalid_request', `limit must be a whole number from 1 to ${FILE_LIST_MAX}`, [{ path: 'limit', message: `1–${FILE_LIST_MAX}` }]);
  }
  if (rawKind !== undefined && !(FILE_KINDS as readonly string[]).includes(rawKind)) {
    throw new ApiError(400, 'invalid_request', `kind must be one of ${FILE_KINDS.join(', ')}`, [{ path: 'kind', message: FILE_KINDS.join(' | ') }]);
  }
  return { limit, kind: rawKind as FileKind | undefined };
}

/** Uploads are spreadsheets; everything else in the store is a record an agent wrote (an outbox). */
function isSpreadsheet(meta: FileInfo): boolean {
  return meta.content_type === XLSX_TYPE || meta.content_type === CSV_TYPE;
}

interface Upload {
  name: string;
  type: string;
  bytes: Uint8Array;
}

async function fromMultipart(contentType: string, raw: Uint8Array): Promise<Upload> {
  let form: FormData;
  try {
    form = await new Request('http://upload.local/', { method: 'POST', headers: { 'content-type': contentType }, body: Buffer.from(raw) }).formData();
  } catch {
    throw new ApiError(400, 'invalid_request', 'the multipart body could not be read');
  }
  const file = form.get('file');
  if (!(file instanceof File)) {
    throw new ApiError(400, 'invalid_request', 'send the spreadsheet in a multipart field named "file"', [{ path: 'file', message: 'required' }]);
  }
  return { name: cleanName(file.name), type: file.type, bytes: new Uint8Array(await file.arrayBuffer()) };
}

function fromRawBody(contentType: string, header: string | undefined, raw: Uint8Array): Upload {
  if (!header) {
    throw new ApiError(400, 'invalid_request', 'send the file name in an x-filename header (or use multipart/form-data)', [{ path: 'x-filename', message: 'required' }]);
  }
  let name: string;
  try {
    name = decodeURIComponent(header);
  } catch {
    throw new ApiError(400, 'invalid_request', 'x-filename is not valid URL encoding');
  }
  return { name: cleanName(name), type: contentType, bytes: raw };
}

/** The name is only ever shown back, never used as a path; still, keep the last segment and drop control characters. */
function cleanName(name: string): string {
  const cleaned = (name.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  if (!cleaned) throw new ApiError(400, 'invalid_request', 'the file needs a name ending in .xlsx or .csv');
  return cleaned;
}

/** Too much inside is 413 (like a body too large); a zip we cannot read safely is 422 (well-formed upload, bad content). */
function spreadsheetRefused(err: ZipRefusal): ApiError {
  return err.code === 'zip_too_large'
    ? new ApiError(413, 'spreadsheet_too_large', `the spreadsheet unpacks to more than NEXUS accepts: ${err.message}`)
    : new ApiError(422, 'spreadsheet_invalid', `the .xlsx is not a zip NEXUS can read safely: ${err.message}`);
}

function tooLarge(max: number): ApiError {
  return new ApiError(413, 'payload_too_large', `the file is larger than ${max} bytes (NEXUS_MAX_UPLOAD_BYTES)`);
}
