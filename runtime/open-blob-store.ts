import { S3Client } from '@aws-sdk/client-s3';
import type { BlobStore } from '../infra/files/blob-store.js';
import { LocalBlobStore } from '../infra/files/local-blob-store.js';
import { S3BlobStore } from '../infra/files/s3-blob-store.js';
import type { Config } from './config/load-config.js';

/**
 * The blob store the configuration names. An S3 bucket is checked before NEXUS says it is running: a wrong name,
 * endpoint or key stops start-up with one line instead of failing the first upload.
 */
export async function openBlobStore(files: Config['files'], { check }: { check: boolean }): Promise<BlobStore> {
  const { store } = files;
  if (store.kind === 'local') return new LocalBlobStore(store.dir, files.maxStoredBytes);
  const s3 = new S3Client({
    region: store.region,
    ...(store.endpoint ? { endpoint: store.endpoint } : {}),
    forcePathStyle: store.forcePathStyle,
    ...(store.credentials ? { credentials: store.credentials } : {}),
    // A checksum on every write (put sends SHA-256 itself); reads are verified when S3 has one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_SUPPORTED',
  });
  const blobs = new S3BlobStore(s3, { bucket: store.bucket, prefix: store.prefix, serverSideEncryption: store.serverSideEncryption, maxBytes: files.maxStoredBytes });
  if (check) await blobs.check();
  return blobs;
}
