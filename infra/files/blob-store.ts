import type { FileInfo, SheetSummary, Tenant } from '../../contracts/index.js';

/** What the store keeps about a file; `file_id` is what commands reference. */
export type BlobMeta = FileInfo;

/**
 * Write-once file storage, scoped by tenant. Write-once matters: an approval is bound to the params it was shown,
 * and a `file_id` in those params must keep naming the same bytes.
 */
export interface BlobStore {
  /** `sheet`: what the uploader read of a spreadsheet, kept with the metadata for listings. */
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
