import { randomBytes } from 'node:crypto';
import {
  GetObjectAclCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config/load-config.js';
import { openBlobStore } from '../../runtime/open-blob-store.js';
import { blobStoreContract, CONTRACT_LIMITS } from '../../test/support/blob-store-contract.js';
import { MotoServer } from '../../test/support/moto-server.js';
import { S3BlobStore } from './s3-blob-store.js';

const moto = new MotoServer();
const bucket = `nexus-test-${randomBytes(4).toString('hex')}`;
let s3: S3Client;
let store: S3BlobStore;

beforeAll(async () => {
  await moto.start();
  s3 = moto.client();
  await moto.createBucket(s3, bucket);
  store = new S3BlobStore(s3, { bucket, prefix: 'nexus/', serverSideEncryption: 'AES256', maxBytes: CONTRACT_LIMITS.maxBytes });
});
afterAll(async () => {
  s3?.destroy();
  await moto.stop();
});

describe('S3BlobStore: the blob store contract, against an S3-compatible server', () => {
  blobStoreContract(() => store);
});

describe('S3BlobStore', () => {
  const tenant = { org_id: 'acme', project_id: 'layout' };

  it('writes the bytes, the metadata and the listing entry under the prefix and the tenant, privately and encrypted', async () => {
    const meta = await store.put(tenant, 'grades.csv', 'text/csv', Buffer.from('a,b\n'));
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'nexus/acme/layout/' }))).Contents?.map((o) => o.Key) ?? [];
    expect(keys.filter((key) => key?.includes(meta.file_id)).sort()).toEqual([
      `nexus/acme/layout/${meta.file_id}.bin`,
      `nexus/acme/layout/${meta.file_id}.json`,
      expect.stringMatching(new RegExp(`^nexus/acme/layout/listing/\\d{13}-${meta.file_id}\\.json$`)),
    ]);
    for (const key of keys.filter((k): k is string => k?.includes(meta.file_id) ?? false)) {
      const acl = await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }));
      // The owner alone: no grant to everyone, to any authenticated AWS user, or to anyone else.
      expect(acl.Grants?.map((g) => ({ id: g.Grantee?.ID, uri: g.Grantee?.URI, permission: g.Permission }))).toEqual([{ id: acl.Owner?.ID, uri: undefined, permission: 'FULL_CONTROL' }]);
      expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ServerSideEncryption).toBe('AES256');
    }
  });

  it('stops start-up with the bucket named when it is not there, and opens one that is from the configuration', async () => {
    const env = (name: string) => moto.nexusEnv(name, 'configured/');
    await expect(openBlobStore(loadConfig(env('no-such-bucket')).files, { check: true })).rejects.toThrow(/upload bucket no-such-bucket is not usable \(S3 answered 404\)/);
    const opened = await openBlobStore(loadConfig(env(bucket)).files, { check: true });
    const meta = await opened.put(tenant, 'from-config.csv', 'text/csv', Buffer.from('x'));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `configured/acme/layout/${meta.file_id}.bin` }))).ContentLength).toBe(1);
  });

  it('refuses settings that cannot work, naming them', () => {
    expect(() => loadConfig({ NEXUS_BLOB_STORE: 's3' })).toThrow('NEXUS_BLOB_STORE=s3 needs NEXUS_S3_BUCKET');
    expect(() => loadConfig({ NEXUS_BLOB_STORE: 's3', NEXUS_S3_BUCKET: bucket, NEXUS_S3_ACCESS_KEY_ID: 'x' })).toThrow('go together');
    expect(() => loadConfig({ NEXUS_BLOB_STORE: 's3', NEXUS_S3_BUCKET: 'Not_A_Bucket' })).toThrow(/NEXUS_S3_BUCKET=Not_A_Bucket is invalid/);
    expect(() => loadConfig({ NEXUS_MAX_STORED_FILE_BYTES: '2048' })).toThrow(/below NEXUS_MAX_UPLOAD_BYTES/);
  });
});
