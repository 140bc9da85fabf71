import type { PathItem } from './openapi-types.js';
import { TENANT_HEADERS } from './parameters.js';
import { authErrors, error, json, unavailable } from './responses.js';

const FileMeta = {
  type: 'object',
  required: ['file_id', 'name', 'size', 'sha256', 'content_type'],
  properties: {
    file_id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    size: { type: 'integer', minimum: 1 },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    content_type: { type: 'string' },
  },
};

/** Uploads for agents that read files (`student.excel_kakao`); a resource creation, so 201, not a command's 202. */
export function filePaths(maxUploadBytes: number): Record<string, PathItem> {
  return {
    '/files': {
      post: {
        operationId: 'uploadFile',
        tags: ['files'],
        summary: 'Upload a spreadsheet (.xlsx or .csv)',
        description: `multipart/form-data with a \`file\` field (or the raw bytes with \`x-filename\`); at most ${maxUploadBytes} bytes. Files are write-once and tenant-scoped.`,
        parameters: TENANT_HEADERS,
        security: [{ bearerToken: [] }, {}],
        requestBody: {
          required: true,
          content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } } },
        },
        responses: {
          '201': json('Stored', FileMeta),
          '400': error(['invalid_tenant', 'invalid_request'], 'No file, an empty file, or bad tenant headers'),
          '413': error(['payload_too_large'], `Larger than ${maxUploadBytes} bytes`),
          '415': error(['unsupported_media_type'], 'Not an .xlsx or .csv spreadsheet'),
          ...authErrors('`operator`'),
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
