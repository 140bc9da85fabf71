import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobStoreContract, CONTRACT_LIMITS } from '../../test/support/blob-store-contract.js';
import { LocalBlobStore } from './local-blob-store.js';

const acme = { org_id: 'acme', project_id: 'school' };
const dir = await mkdtemp(join(tmpdir(), 'nexus-blobs-'));
const store = new LocalBlobStore(dir, CONTRACT_LIMITS.maxBytes);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('LocalBlobStore: the blob store contract', () => {
  blobStoreContract(() => store);
});

describe('LocalBlobStore', () => {
  it("keeps each file as <file_id>.bin and <file_id>.json in its tenant's folder", async () => {
    const meta = await store.put(acme, 'grades.csv', 'text/csv', Buffer.from('a,b\n1,2\n'));
    expect((await readdir(join(dir, 'acme', 'school'))).filter((name) => name.startsWith(meta.file_id)).sort()).toEqual([`${meta.file_id}.bin`, `${meta.file_id}.json`]);
  });

  it('keeps uploads for this user only: folders 0700, files 0600', async () => {
    const meta = await store.put(acme, 'private.csv', 'text/csv', Buffer.from('name,phone\n'));
    for (const folder of [dir, join(dir, 'acme'), join(dir, 'acme', 'school')]) expect((await stat(folder)).mode & 0o777).toBe(0o700);
    for (const ext of ['bin', 'json']) expect((await stat(join(dir, 'acme', 'school', `${meta.file_id}.${ext}`))).mode & 0o777).toBe(0o600);
  });
});
