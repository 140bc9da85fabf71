import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SheetSummary, Tenant } from '../../contracts/index.js';
import { isFileId, newBlobMeta, tenantFolder, type BlobMeta, type BlobStore } from './blob-store.js';
import { privateDir } from './private-paths.js';

/**
 * Files in a local folder: `<dir>/<org>/<project>/<file_id>.bin` plus `<file_id>.json` for the metadata.
 * The API and the worker must see the same folder (one machine, or a shared volume); across machines use the S3
 * store (infra/files/s3-blob-store.ts).
 */
export class LocalBlobStore implements BlobStore {
  private readonly root: string;

  constructor(dir: string, private readonly maxBytes: number) {
    this.root = resolve(dir);
    privateDir(this.root, 'upload folder');
  }

  async put(tenant: Tenant, name: string, contentType: string, bytes: Uint8Array, sheet?: SheetSummary): Promise<BlobMeta> {
    const meta = newBlobMeta(name, contentType, bytes, this.maxBytes, sheet);
    const dir = this.tenantDir(tenant);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Bytes first, metadata last, each through a rename: a file is visible only once it is complete.
    await writeAtomically(join(dir, `${meta.file_id}.bin`), bytes);
    await writeAtomically(join(dir, `${meta.file_id}.json`), Buffer.from(JSON.stringify(meta)));
    return meta;
  }

  async get(tenant: Tenant, fileId: string): Promise<{ meta: BlobMeta; bytes: Uint8Array } | undefined> {
    const meta = await this.meta(tenant, fileId);
    if (!meta) return undefined;
    const bytes = await readFile(join(this.tenantDir(tenant), `${fileId}.bin`)).catch(notFoundAsUndefined);
    return bytes ? { meta, bytes: new Uint8Array(bytes) } : undefined;
  }

  async meta(tenant: Tenant, fileId: string): Promise<BlobMeta | undefined> {
    if (!isFileId(fileId)) return undefined;
    // The metadata is written last: when it is there, so are the bytes.
    const text = await readFile(join(this.tenantDir(tenant), `${fileId}.json`), 'utf8').catch(notFoundAsUndefined);
    return text === undefined ? undefined : (JSON.parse(text) as BlobMeta);
  }

  async list(tenant: Tenant, limit: number, accept: (meta: BlobMeta) => boolean): Promise<{ files: BlobMeta[]; more: boolean }> {
    const dir = this.tenantDir(tenant);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => name.endsWith('.json') && isFileId(name.slice(0, -'.json'.length)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { files: [], more: false };
      throw err;
    }
    // Newest first by when the metadata was written (its last step), without reading every file's metadata.
    const dated = await Promise.all(names.map(async (name) => ({ name, at: (await stat(join(dir, name))).mtimeMs })));
    dated.sort((a, b) => b.at - a.at);
    const files: BlobMeta[] = [];
    for (const { name } of dated) {
      const meta = JSON.parse(await readFile(join(dir, name), 'utf8')) as BlobMeta;
      if (!accept(meta)) continue;
      if (files.length === limit) return { files, more: true };
      files.push(meta);
    }
    return { files, more: false };
  }

  private tenantDir(tenant: Tenant): string {
    return join(this.root, tenantFolder(tenant));
  }
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  // Uploads are people's data: only NEXUS's user reads them.
  await writeFile(temp, bytes, { flag: 'wx', mode: 0o600 });
  await rename(temp, path);
}

function notFoundAsUndefined(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw err;
}
