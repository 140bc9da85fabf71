import { createHash } from 'node:crypto';
import {
  GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client, type S3ServiceException,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type { SheetSummary, Tenant } from '../../contracts/index.js';
import { isFileId, newBlobMeta, tenantFolder, type BlobMeta, type BlobStore } from './blob-store.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Prepended to every key (`nexus/`), so NEXUS can share a bucket with other things. */
  prefix: string;
  /** Asked of S3 on every object NEXUS writes; unset leaves it to the bucket's default encryption. */
  serverSideEncryption?: ServerSideEncryption | undefined;
  /** The ceiling of one stored file (BlobTooLargeError above it). */
  maxBytes: number;
}

/** Newer files get smaller numbers, so S3's lexicographic listing hands out the newest first. */
const LISTING_CLOCK = 9_999_999_999_999;
const LISTING_PAGE = 100;

/**
 * Files in an S3-compatible bucket (AWS S3, MinIO, Ceph), so every API and worker on every host reads the same
 * uploads. Under `<prefix><org>/<project>/`: `<file_id>.bin` (the bytes), `<file_id>.json` (the metadata), and
 * `listing/<inverted time>-<file_id>.json` (the metadata again, named so a listing comes newest first and can stop
 * at its limit), written in that order: a file is readable once its metadata is there, listed once complete.
 * Objects are written without an ACL: they are as private as the bucket, which NEXUS never makes public, and
 * nothing hands out their URLs.
 */
export class S3BlobStore implements BlobStore {
  constructor(private readonly s3: S3Client, private readonly options: S3BlobStoreOptions) {}

  /** Fails with the bucket's name when NEXUS cannot reach or read it, so a wrong setting stops start-up clearly. */
  async check(): Promise<void> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (err) {
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      throw new Error(`the upload bucket ${this.options.bucket} is not usable${status ? ` (S3 answered ${status})` : ''}: ${(err as Error).message || (err as Error).name}`);
    }
  }

  async put(tenant: Tenant, name: string, contentType: string, bytes: Uint8Array, sheet?: SheetSummary): Promise<BlobMeta> {
    const meta = newBlobMeta(name, contentType, bytes, this.options.maxBytes, sheet);
    // S3 checks the bytes against this checksum and refuses the write if they were altered on the way.
    const checksum = Buffer.from(meta.sha256, 'hex').toString('base64');
    await this.write(this.key(tenant, meta.file_id, 'bin'), bytes, 'application/octet-stream', checksum);
    const json = Buffer.from(JSON.stringify(meta));
    const jsonChecksum = createHash('sha256').update(json).digest('base64');
    await this.write(this.key(tenant, meta.file_id, 'json'), json, 'application/json', jsonChecksum);
    const at = String(LISTING_CLOCK - Date.parse(meta.created_at)).padStart(13, '0');
    await this.write(`${this.listingFolder(tenant)}${at}-${meta.file_id}.json`, json, 'application/json', jsonChecksum);
    return meta;
  }

  async get(tenant: Tenant, fileId: string): Promise<{ meta: BlobMeta; bytes: Uint8Array } | undefined> {
    const meta = await this.meta(tenant, fileId);
    if (!meta) return undefined;
    const bytes = await this.read(this.key(tenant, fileId, 'bin'));
    return bytes ? { meta, bytes } : undefined;
  }

  async meta(tenant: Tenant, fileId: string): Promise<BlobMeta | undefined> {
    if (!isFileId(fileId)) return undefined;
    const bytes = await this.read(this.key(tenant, fileId, 'json'));
    return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as BlobMeta) : undefined;
  }

  async list(tenant: Tenant, limit: number, accept: (meta: BlobMeta) => boolean): Promise<{ files: BlobMeta[]; more: boolean }> {
    const folder = this.listingFolder(tenant);
    const files: BlobMeta[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({
        Bucket: this.options.bucket, Prefix: folder, MaxKeys: LISTING_PAGE, ...(token ? { ContinuationToken: token } : {}),
      }));
      for (const object of page.Contents ?? []) {
        const fileId = /^\d{13}-(.+)\.json$/.exec(object.Key?.slice(folder.length) ?? '')?.[1] ?? '';
        if (!isFileId(fileId) || !object.Key) continue;
        const bytes = await this.read(object.Key);
        const meta = bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as BlobMeta) : undefined;
        if (!meta || meta.file_id !== fileId || !accept(meta)) continue;
        if (files.length === limit) return { files, more: true };
        files.push(meta);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { files, more: false };
  }

  private listingFolder(tenant: Tenant): string {
    return `${this.options.prefix}${tenantFolder(tenant)}/listing/`;
  }

  private key(tenant: Tenant, fileId: string, ext: 'bin' | 'json'): string {
    return `${this.options.prefix}${tenantFolder(tenant)}/${fileId}.${ext}`;
  }

  private async write(key: string, body: Uint8Array, contentType: string, sha256: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({
      Bucket: this.options.bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      ChecksumSHA256: sha256,
      ...(this.options.serverSideEncryption ? { ServerSideEncryption: this.options.serverSideEncryption } : {}),
    }));
  }

  private async read(key: string): Promise<Uint8Array | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (err instanceof NoSuchKey || (err as S3ServiceException).$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }
}
