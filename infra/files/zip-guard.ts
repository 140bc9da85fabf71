import { readZipDirectory, type ZipEntry } from './zip-directory.js';
import { checkInflatedSizes } from './zip-inflate.js';
import type { ZipLimits } from './zip-limits.js';

/**
 * The whole check a zip passes before anything may inflate it for real: the directory against the limits, then
 * a counting inflation that proves the declared sizes. Throws ZipRefusal; memory stays flat (one 64 KiB chunk
 * and the entry list), and a bomb is refused in milliseconds because its declared or actual size gives it away
 * long before it is inflated.
 */
export async function checkZip(bytes: Uint8Array, limits: ZipLimits): Promise<ZipEntry[]> {
  const entries = readZipDirectory(bytes, limits);
  await checkInflatedSizes(bytes, entries);
  return entries;
}
