import type { PathItem } from './openapi-types.js';
import { TENANT_HEADERS } from './parameters.js';
import { authErrors, error, json, unavailable } from './responses.js';
import { ref } from './schemas.js';
import { FILE_KINDS, FILE_LIST_DEFAULT, FILE_LIST_MAX } from '../../contracts/index.js';

/** Uploads for agents that read files (`student.excel_kakao`); a resource creation, so 201, not a command's 202. */
export function filePaths(maxUploadBytes: number): Record<string, PathItem> {
  return {
    '/files': {
      post: {
        operationId: 'uploadFile',
        tags: ['files'],
        summary: 'Upload a spreadsheet (.xlsx or .csv)',
        description: `multipart/form-data with a \`file\` field (or the raw bytes with \`x-filename\`); at most ${maxUploadBytes} bytes. Files are write-once and tenant-scoped. The spreadsheet is read before it is kept: the answer says its worksheets, header row and number of rows (\`sheet\`), and one no agent could read is refused.`,
        parameters: TENANT_HEADERS,
        security: [{ bearerToken: [] }, {}],
        requestBody: {
          required: true,
          content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } } },
        },
        responses: {
          '201': json('Stored', ref('FileInfo')),
          '400': error(['invalid_tenant', 'invalid_request'], 'No file, an empty file, or bad tenant headers'),
          '413': error(['payload_too_large', 'spreadsheet_too_large'], `Larger than ${maxUploadBytes} bytes, or more inside (unpacked size, rows) than NEXUS reads`),
          '415': error(['unsupported_media_type'], 'Not an .xlsx or .csv spreadsheet'),
          '422': error(['spreadsheet_invalid'], 'A spreadsheet NEXUS cannot read: a damaged or unsafe .xlsx, or no header row'),
          ...authErrors('`operator`'),
          '503': unavailable('The file store (or no answer within NEXUS_REQUEST_TIMEOUT)'),
        },
      },
      get: {
        operationId: 'listFiles',
        tags: ['files'],
        summary: 'The tenant’s files, newest first: uploads with what is in them, and outboxes',
        security: [{ bearerToken: [] }, {}],
        parameters: [
          ...TENANT_HEADERS,
          { name: 'limit', in: 'query', required: false, description: `At most this many (default ${FILE_LIST_DEFAULT})`, schema: { type: 'integer', minimum: 1, maximum: FILE_LIST_MAX } },
          { name: 'kind', in: 'query', required: false, description: '`spreadsheet`: uploads only; `outbox`: what agents recorded', schema: { type: 'string', enum: [...FILE_KINDS] } },
        ],
        responses: {
          '200': json('Newest first; `more` when older files were left out', ref('FileList')),
          '400': error(['invalid_tenant', 'invalid_request'], 'Bad tenant headers, `limit` or `kind`'),
          ...authErrors('`operator`, `approver` or `viewer`'),
          '503': unavailable('The file store (or no answer within NEXUS_REQUEST_TIMEOUT)'),
        },
      },
    },
    '/files/{file_id}': {
      get: {
        operationId: 'downloadFile',
        tags: ['files'],
        summary: 'Download an uploaded file or an outbox of this tenant',
        security: [{ bearerToken: [] }, {}],
        parameters: [...TENANT_HEADERS, { name: 'file_id', in: 'path', required: true, description: 'The id `POST /files` answered', schema: { type: 'string' } }],
        responses: {
          '200': { description: 'The bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
          '400': error(['invalid_tenant'], 'Bad tenant headers'),
          '404': error(['not_found'], 'No such file in this tenant'),
          ...authErrors('`operator`, `approver` or `viewer`'),
          '503': unavailable('The file store (or no answer within NEXUS_REQUEST_TIMEOUT)'),
        },
      },
    },
  };
}
