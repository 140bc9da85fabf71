import { createHash, randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { BlobTooLargeError, type BlobStore } from '../../infra/files/blob-store.js';

/** The limits the contract's stores are made with: uploads up to the API's default, a ceiling a little above. */
export const CONTRACT_LIMITS = { uploadBytes: 5 * 1024 * 1024, maxBytes: 6 * 1024 * 1024 };

/**
 * What every BlobStore must do, whatever keeps the bytes: the same tests run against the local folder and an S3
 * bucket. `store()` is called inside each test (the store may be made in a beforeAll); each test uses its own
 * project, so the tests do not see each other's files.
 */
export function blobStoreContract(store: () => BlobStore): void {
  const project = (name: string) => ({ org_id: 'acme', project_id: `${name}-${randomBytes(3).toString('hex')}` });

  it('gives back the same bytes and metadata, with the SHA-256 of the bytes', async () => {
    const tenant = project('roundtrip');
    const meta = await store().put(tenant, '성적.csv', 'text/csv', Buffer.from('a,b\n1,2\n'));
    expect(meta).toMatchObject({ name: '성적.csv', size: 8, content_type: 'text/csv', sha256: createHash('sha256').update('a,b\n1,2\n').digest('hex') });
    const got = await store().get(tenant, meta.file_id);
    expect(Buffer.from(got?.bytes ?? []).toString()).toBe('a,b\n1,2\n');
    expect(got?.meta).toEqual(meta);
    await expect(store().meta(tenant, meta.file_id)).resolves.toEqual(meta);
  });

  it('keeps a file as large as an upload may be, byte for byte, and refuses one over its ceiling without writing it', async () => {
    const tenant = project('sizes');
    const large = randomBytes(CONTRACT_LIMITS.uploadBytes);
    const meta = await store().put(tenant, 'large.bin', 'application/octet-stream', large);
    expect(meta.size).toBe(large.byteLength);
    expect(Buffer.compare(Buffer.from((await store().get(tenant, meta.file_id))?.bytes ?? []), large)).toBe(0);
    await expect(store().put(tenant, 'huge.bin', 'application/octet-stream', new Uint8Array(CONTRACT_LIMITS.maxBytes + 1))).rejects.toBeInstanceOf(BlobTooLargeError);
    expect((await store().list(tenant, 10, () => true)).files.map((f) => f.name)).toEqual(['large.bin']);
  });

  it("never shows one tenant another's file, not even to a project whose name starts the same", async () => {
    const school = project('school');
    const school2 = { ...school, project_id: `${school.project_id}2` };
    const globex = { ...school, org_id: 'globex' };
    const meta = await store().put(school, 'x.csv', 'text/csv', Buffer.from('x'));
    for (const other of [school2, globex]) {
      expect(await store().get(other, meta.file_id)).toBeUndefined();
      expect(await store().meta(other, meta.file_id)).toBeUndefined();
      expect(await store().list(other, 10, () => true)).toEqual({ files: [], more: false });
    }
  });

  it('refuses ids that are not UUIDs before they reach a path or a key', async () => {
    const tenant = project('ids');
    const meta = await store().put(tenant, 'x.csv', 'text/csv', Buffer.from('x'));
    for (const id of [`../${tenant.project_id}/${meta.file_id}`, `${meta.file_id}/../${meta.file_id}`, '..%2f..%2fetc', 'a'.repeat(36), '', '00000000-0000-0000-0000-000000000000', `listing/${meta.file_id}`]) {
      expect(await store().get(tenant, id)).toBeUndefined();
      expect(await store().meta(tenant, id)).toBeUndefined();
    }
  });

  it('lists newest first, only what the filter accepts, at most the limit, and says when more were kept back', async () => {
    const tenant = project('listing');
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      names.push((await store().put(tenant, `f${i}.${i % 2 === 0 ? 'csv' : 'txt'}`, 'text/csv', Buffer.from(String(i)))).name);
      // Each file a moment after the last: "newest" must be decidable.
      const last = Date.now();
      while (Date.now() === last) await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await store().list(tenant, 10, () => true)).files.map((f) => f.name)).toEqual([...names].reverse());
    expect(await store().list(tenant, 2, (f) => f.name.endsWith('.csv')).then((r) => ({ names: r.files.map((f) => f.name), more: r.more }))).toEqual({ names: ['f4.csv', 'f2.csv'], more: true });
    expect((await store().list(tenant, 3, (f) => f.name.endsWith('.csv'))).more).toBe(false);
  });
}
