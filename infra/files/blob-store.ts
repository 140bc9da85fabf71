import { createHash, randomUUID } from 'node:crypto';
import { TENANT_ID_PATTERN, type FileInfo, type SheetSummary, type Tenant } from '../../contracts/index.js';

/** What the store keeps about a file; `file_id` is what commands reference. */
export type BlobMeta = FileInfo;

/**
 * Write-once file storage, scoped by tenant. Write-once matters: an approval is bound to the params it was shown,
 * and a `file_id` in those params must keep naming the same bytes.
 */
export interface BlobStore {
  /**
   * `sheet`: what the uploader read of a spreadsheet, kept with the metadata for listings. Bytes over the store's
   * ceiling are a BlobTooLargeError and nothing is written.
   */
  put(tenant: Tenant, name: string, contentType: string, bytes: Uint8Array, sheet?: SheetSummary): Promise<BlobMeta>;
  /** Undefined for an unknown id, a malformed id, or another tenant's file: the caller cannot tell them apart. */
  get(tenant: Tenant, fileId: string): Promise<{ meta: BlobMeta; bytes: Uint8Array } | undefined>;
  /** What `get` would say about the file, without reading its bytes; undefined in the same cases. */
  meta(tenant: Tenant, fileId: string): Promise<BlobMeta | undefined>;
  /** The tenant's newest files first, those `accept` keeps, at most `limit`; `more` when older ones were kept back. */
  list(tenant: Tenant, limit: number, accept: (meta: BlobMeta) => boolean): Promise<{ files: BlobMeta[]; more: boolean }>;
}

const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** File ids are random UUIDs (unguessable); anything else is refused before it gets near a path. */
export function isFileId(value: string): boolean {
  return FILE_ID.test(value);
}

/**
 * The most a store keeps in one file, whoever writes it: uploads are held lower by the API's limit; an agent's own
 * output (an outbox) only by this.
 */
export class BlobTooLargeError extends Error {
  readonly code = 'file_too_large';
}

/** A new file's metadata, checked against the store's ceiling before anything is written. */
export function newBlobMeta(name: string, contentType: string, bytes: Uint8Array, maxBytes: number, sheet?: SheetSummary): BlobMeta {
  if (bytes.byteLength > maxBytes) throw new BlobTooLargeError(`${bytes.byteLength} bytes is more than the ${maxBytes} a stored file may have`);
  return {
    file_id: randomUUID(),
    name,
    size: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    content_type: contentType,
    created_at: new Date().toISOString(),
    ...(sheet ? { sheet } : {}),
  };
}

/** `<org>/<project>`. Tenant ids match TENANT_ID_PATTERN, so they are safe path and key segments; checked again here all the same. */
export function tenantFolder(tenant: Tenant): string {
  if (!TENANT_ID_PATTERN.test(tenant.org_id) || !TENANT_ID_PATTERN.test(tenant.project_id)) {
    throw new Error('invalid tenant for the blob store');
  }
  return `${tenant.org_id}/${tenant.project_id}`;
}
