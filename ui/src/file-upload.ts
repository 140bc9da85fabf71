import type { FileInfo, Tenant } from '../../contracts/index.js';
import { tenantHeaders } from './api-client.js';

export type UploadOutcome =
  | { ok: true; file: FileInfo }
  | { ok: false; status: number; code: string | undefined; message: string | undefined };

/**
 * `POST /files` as multipart, through XMLHttpRequest because fetch cannot report upload progress: `progress` gets the
 * share sent (0–1) as the browser sends it. A refusal comes back with the API's `error.code` and message.
 */
export function uploadFile(file: File, tenant: Tenant, progress: (share: number) => void): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/files');
    for (const [name, value] of Object.entries(tenantHeaders(tenant))) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) progress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status === 201 && body && typeof body === 'object' && 'file_id' in body) {
        resolve({ ok: true, file: body as FileInfo });
        return;
      }
      const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      resolve({
        ok: false,
        status: xhr.status,
        code: typeof error?.code === 'string' ? error.code : undefined,
        message: typeof error?.message === 'string' ? error.message : undefined,
      });
    });
    // The connection failed, or the server closed it mid-body (a proxy or the API refusing a body too large).
    xhr.addEventListener('error', () => resolve({ ok: false, status: 0, code: undefined, message: undefined }));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
