import { createInflateRaw } from 'node:zlib';
import type { ZipEntry } from './zip-directory.js';
import { invalid, tooLarge } from './zip-refusal.js';

/** Output chunk of the inflater: the most memory one entry's check holds at a time. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Inflates every deflated entry and throws the output away, counting it, so a zip whose declared sizes lie is
 * caught without ever holding its content: an entry stops the moment it passes its declared size (which
 * readZipDirectory has already bounded by the limits). Whoever inflates the same bytes afterwards (exceljs, via
 * JSZip, reads the same byte ranges the directory check pinned down) gets exactly the sizes counted here.
 */
export async function checkInflatedSizes(bytes: Uint8Array, entries: readonly ZipEntry[]): Promise<void> {
  for (const entry of entries) {
    if (entry.method !== 8 || (entry.compressedSize === 0 && entry.uncompressedSize === 0)) continue;
    const data = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    const actual = await inflatedSize(data, entry);
    if (actual !== entry.uncompressedSize) throw invalid(`${entry.name} inflates to ${actual} bytes, not the ${entry.uncompressedSize} it declares`);
  }
}

function inflatedSize(data: Uint8Array, entry: ZipEntry): Promise<number> {
  return new Promise((resolve, reject) => {
    const inflater = createInflateRaw({ chunkSize: CHUNK_BYTES });
    let total = 0;
    inflater.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total <= entry.uncompressedSize) return;
      // destroy() stops zlib before the next chunk: memory stays at one chunk whatever the data would become.
      inflater.destroy();
      reject(tooLarge(`${entry.name} inflates beyond the ${entry.uncompressedSize} bytes it declares`));
    });
    inflater.once('end', () => resolve(total));
    inflater.once('error', (err) => reject(invalid(`${entry.name} is not valid deflate data (${err.message})`)));
    inflater.end(data);
  });
}
