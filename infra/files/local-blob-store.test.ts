import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBlobStore } from './local-blob-store.js';

const acme = { org_id: 'acme', project_id: 'school' };
const globex = { org_id: 'globex', project_id: 'school' };
const dir = await mkdtemp(join(tmpdir(), 'nexus-blobs-'));
const store = new LocalBlobStore(dir);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('LocalBlobStore', () => {
  it('stores bytes with their metadata and gives them back to the same tenant', async () => {
    const meta = await store.put(acme, 'grades.csv', 'text/csv', Buffer.from('a,b\n1,2\n'));
    expect(meta).toMatchObject({ name: 'grades.csv', size: 8, content_type: 'text/csv' });
    expect(meta.sha256).toMatch(/^[0-9a-f]{64}$/);
    const got = await store.get(acme, meta.file_id);
    expect(Buffer.from(got?.bytes ?? []).toString()).toBe('a,b\n1,2\n');
    expect(got?.meta).toEqual(meta);
    await expect(store.meta(acme, meta.file_id)).resolves.toEqual(meta);
    expect(await readdir(join(dir, 'acme', 'school'))).toHaveLength(2);
  });

  it('keeps uploads for this user only: folders 0700, files 0600', async () => {
    const meta = await store.put(acme, 'private.csv', 'text/csv', Buffer.from('name,phone\n'));
    for (const folder of [dir, join(dir, 'acme'), join(dir, 'acme', 'school')]) expect((await stat(folder)).mode & 0o777).toBe(0o700);
    for (const ext of ['bin', 'json']) expect((await stat(join(dir, 'acme', 'school', `${meta.file_id}.${ext}`))).mode & 0o777).toBe(0o600);
  });

  it("does not show one tenant another tenant's file", async () => {
    const meta = await store.put(acme, 'x.csv', 'text/csv', Buffer.from('x'));
    expect(await store.get(globex, meta.file_id)).toBeUndefined();
    expect(await store.meta(globex, meta.file_id)).toBeUndefined();
  });

  it('refuses ids that are not UUIDs before touching the disk', async () => {
    for (const id of ['../acme/school/x', '..%2f..%2fetc', 'a'.repeat(36), '', '00000000-0000-0000-0000-000000000000']) {
      expect(await store.get(acme, id)).toBeUndefined();
      expect(await store.meta(acme, id)).toBeUndefined();
    }
  });
});
