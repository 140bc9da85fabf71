import type { Tenant } from '../../contracts/index.js';

/** What the store keeps about a file; `file_id` is what commands reference. */
export interface BlobMeta {
  file_id: string;
  name: string;
  size: number;
  sha256: string;
  content_type: string;
  created_at: string;
}

/**
 * Write-once file storage, scoped by tenant. Write-once matters: an approval is bound to the params it was shown,
 * and a `file_id` in those params must keep naming the same bytes.
 */
export interface BlobStore {
  put(tenant: Tenant, name: string, contentType: string, bytes: Uint8Array): Promise<BlobMeta>;
  /** Undefined for an unknown id, a malformed id, or another tenant's file: the caller cannot tell them apart. */
  get(tenant: Tenant, fileId: string): Promise<{ meta: BlobMeta; bytes: Uint8Array } | undefined>;
}

const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** File ids are random UUIDs (unguessable); anything else is refused before it gets near a path. */
export function isFileId(value: string): boolean {
  return FILE_ID.test(value);
}
