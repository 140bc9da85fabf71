import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { buildZip, deflatedEntry, deflatedZeros, honestBomb, lyingBomb } from '../../test/support/zip-builder.js';
import { SPREADSHEET_LIMITS } from './spreadsheet-limits.js';
import { readZipDirectory } from './zip-directory.js';
import { checkZip } from './zip-guard.js';
import { DEFAULT_ZIP_LIMITS, zipLimits } from './zip-limits.js';
import { ZipRefusal } from './zip-refusal.js';

const MiB = 1024 * 1024;
const limits = SPREADSHEET_LIMITS.zip;

async function workbook(rows = 20): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('성적');
  sheet.addRow(['이름', '보호자 연락처', '점수']);
  for (let i = 0; i < rows; i++) sheet.addRow([`학생${i}`, `010-1234-${String(i).padStart(4, '0')}`, i]);
  return new Uint8Array(await book.xlsx.writeBuffer());
}

/** What checkZip did: passed, or refused with which code. Anything else thrown fails the test. */
async function outcome(bytes: Uint8Array, with_ = limits): Promise<'ok' | ZipRefusal['code']> {
  try {
    await checkZip(bytes, with_);
    return 'ok';
  } catch (err) {
    if (err instanceof ZipRefusal) return err.code;
    throw err;
  }
}

function refusal(run: () => unknown): ZipRefusal {
  try {
    run();
  } catch (err) {
    if (err instanceof ZipRefusal) return err;
    throw err;
  }
  throw new Error('expected a ZipRefusal');
}

describe('readZipDirectory and checkZip', () => {
  it('pass an ordinary workbook exceljs wrote (data descriptors and all), with every entry located', async () => {
    const bytes = await workbook(500);
    const entries = readZipDirectory(bytes, limits);
    expect(entries.map((e) => e.name)).toEqual(expect.arrayContaining(['"xl/workbook.xml"', '"xl/worksheets/sheet1.xml"']));
    expect(await outcome(bytes)).toBe('ok');
    expect(await outcome(bytes, DEFAULT_ZIP_LIMITS)).toBe('ok');
  });

  it('pass honest hand-made zips, stored and deflated, zip64 included, that JSZip reads the same way', async () => {
    const entries = [deflatedEntry('a.xml', '<a>'.repeat(1000)), { name: 'b.txt', data: Buffer.from('stored'), method: 0, uncompressedSize: 6 }];
    for (const zip64 of [false, true]) {
      const bytes = buildZip(entries, { zip64 });
      expect(await outcome(bytes)).toBe('ok');
      const jszip = await JSZip.loadAsync(bytes);
      expect(await jszip.file('a.xml')?.async('string')).toBe('<a>'.repeat(1000));
      expect(await jszip.file('b.txt')?.async('string')).toBe('stored');
    }
  });

  it('refuse an honest bomb (600 MiB declared in 600 KiB) from its directory alone, in milliseconds', () => {
    const bytes = honestBomb(600);
    expect(bytes.byteLength).toBeLessThan(700 * 1024);
    const started = performance.now();
    const err = refusal(() => readZipDirectory(bytes, limits));
    expect(performance.now() - started).toBeLessThan(50);
    expect(err.code).toBe('zip_too_large');
    expect(err.message).toMatch(/600\.0 MiB uncompressed.*at most 32\.0 MiB/);
  });

  it('refuse a zip64 entry that declares 5 GiB, and one past 2^53 bytes', () => {
    const data = deflatedZeros(1);
    expect(refusal(() => readZipDirectory(buildZip([{ name: 'x', data, uncompressedSize: 5 * 1024 * MiB }], { zip64: true }), limits)).code).toBe('zip_too_large');
    expect(refusal(() => readZipDirectory(buildZip([{ name: 'x', data, uncompressedSize: 2 ** 60 }], { zip64: true }), limits)).code).toBe('zip_too_large');
  });

  it('refuse an entry compressed beyond the ratio limit even when the total is small', () => {
    const bytes = buildZip([{ name: 'x', data: deflatedZeros(2), uncompressedSize: 2 * MiB }]);
    const err = refusal(() => readZipDirectory(bytes, limits));
    expect(err).toMatchObject({ code: 'zip_too_large', message: expect.stringMatching(/compressed \d+:1; at most 200:1/) });
    expect(readZipDirectory(bytes, zipLimits({ maxCompressionRatio: 2000 }))).toHaveLength(1);
  });

  it('refuse a lying bomb while inflating: it stops at the declared size, fast and without holding the output', async () => {
    const bytes = lyingBomb(600);
    expect(readZipDirectory(bytes, limits)).toHaveLength(1);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    await expect(checkZip(bytes, limits)).rejects.toMatchObject({ code: 'zip_too_large', message: expect.stringMatching(/inflates beyond the 65536 bytes it declares/) });
    expect(performance.now() - started).toBeLessThan(200);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * MiB);
  });

  it('refuse an entry that inflates to less than it declares, or is not deflate data at all', async () => {
    const short = deflatedEntry('a.xml', 'abc');
    expect(await outcome(buildZip([{ ...short, uncompressedSize: 10 }]))).toBe('zip_invalid');
    expect(await outcome(buildZip([{ name: 'a.xml', data: Buffer.from([0xff, 0xff, 0xff, 0xff]), uncompressedSize: 10 }]))).toBe('zip_invalid');
    const truncatedStream = deflateRawSync(Buffer.alloc(100_000, 7)).subarray(0, 50);
    expect(await outcome(buildZip([{ name: 'a.xml', data: truncatedStream, uncompressedSize: 100_000 }]))).toBe('zip_invalid');
  });

  it('refuse too many entries before reading them', () => {
    const entries = Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}`, data: new Uint8Array(0), method: 0, uncompressedSize: 0 }));
    const err = refusal(() => readZipDirectory(buildZip(entries), limits));
    expect(err).toMatchObject({ code: 'zip_too_large', message: 'the zip has 10001 entries; at most 10000 are allowed' });
    expect(readZipDirectory(buildZip(entries.slice(0, 10_000)), limits)).toHaveLength(10_000);
    expect(refusal(() => readZipDirectory(buildZip(entries.slice(0, 6)), zipLimits({ maxEntries: 5 }))).code).toBe('zip_too_large');
  });

  it('refuse overlapping entries (one compressed block named many times) even when each is honest and small', () => {
    const a = deflatedEntry('a', 'x'.repeat(10_000));
    const b = deflatedEntry('b', 'y'.repeat(10_000));
    // a's data, as the directory declares it, swallows b whole (a data descriptor excuses its local sizes).
    const swallowing = { ...a, flags: 0x0008, compressedSize: a.data.byteLength + 30 + 1 + b.data.byteLength };
    expect(refusal(() => readZipDirectory(buildZip([swallowing, b]), limits))).toMatchObject({ code: 'zip_invalid', message: '"b" overlaps "a"' });
    // Two directory records for one local header: refused too (the local name cannot match both).
    expect(refusal(() => readZipDirectory(buildZip([a, { ...a, name: 'c', sameDataAs: 0 }]), limits)).code).toBe('zip_invalid');
  });

  it('refuse every truncation of a real workbook as invalid', async () => {
    const bytes = await workbook();
    for (let length = 0; length < bytes.byteLength; length += 97) expect(await outcome(bytes.subarray(0, length))).toBe('zip_invalid');
    expect(await outcome(bytes.subarray(0, bytes.byteLength - 1))).toBe('zip_invalid');
  });

  it('refuse records that would make another reader see another zip', async () => {
    const entry = deflatedEntry('xl/workbook.xml', '<workbook/>');
    const good = Buffer.from(buildZip([entry]));
    const eocd = good.byteLength - 22;
    const cases: Record<string, Uint8Array> = {
      'bytes appended': Buffer.concat([good, Buffer.from('tail')]),
      'bytes prepended': Buffer.concat([Buffer.from('head'), good]),
      'an EOCD signature in the comment': buildZip([entry], { comment: Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]) }),
      'an entry count below the directory': buildZip([entry, deflatedEntry('b', 'b')], { entryCount: 1 }),
      'an entry count above the directory': buildZip([entry], { entryCount: 2 }),
      'a directory offset that points elsewhere': withUint32(good, eocd + 16, 1),
      'a local header offset past the data': withUint32(good, good.readUInt32LE(eocd + 16) + 42, 9999),
      'a local header naming another file': buildZip([{ ...entry, localName: 'xl/workbook.xmL' }]),
      'an encrypted entry': buildZip([{ ...entry, flags: 0x0001 }]),
      'strong encryption': buildZip([{ ...entry, flags: 0x0040 }]),
      'an unsupported compression method': buildZip([{ ...entry, method: 12 }]),
      'a stored entry whose sizes differ': buildZip([{ name: 'a', data: Buffer.from('abc'), method: 0, uncompressedSize: 3, compressedSize: 2 }]),
      'a name twice': buildZip([entry, entry]),
      'multi-volume': withUint16(good, eocd + 4, 1),
      'not a zip': Buffer.from('PK\u0003\u0004 and then nothing like a zip at all'),
      'empty': new Uint8Array(0),
    };
    for (const [label, bytes] of Object.entries(cases)) expect(await outcome(bytes), label).toBe('zip_invalid');
    expect(await outcome(good)).toBe('ok');
  });

  it('never throws anything but a ZipRefusal whatever bytes of a workbook are damaged, and JSZip never inflates more than was counted', async () => {
    const bytes = await workbook();
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const damaged = Buffer.from(bytes);
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) damaged[Math.floor(random() * damaged.byteLength)] = Math.floor(random() * 256);
      const result = await outcome(damaged);
      seen.add(result);
      if (result === 'ok') expect(await inflatedByJsZip(damaged)).toBeLessThanOrEqual(declaredTotal(damaged));
    }
    expect(seen.has('zip_invalid')).toBe(true);
    expect(seen.has('ok')).toBe(true);
  });
});

/** What exceljs's JSZip inflates from a zip we passed: never more than we counted (0 when JSZip refuses it). */
async function inflatedByJsZip(bytes: Uint8Array): Promise<number> {
  try {
    const zip = await JSZip.loadAsync(bytes);
    let total = 0;
    for (const file of Object.values(zip.files)) total += (await file.async('uint8array')).byteLength;
    return total;
  } catch {
    return 0;
  }
}

const declaredTotal = (bytes: Uint8Array) => readZipDirectory(bytes, limits).reduce((sum, e) => sum + e.uncompressedSize, 0);

function withUint32(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt32LE(value, at);
  return copy;
}

function withUint16(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt16LE(value, at);
  return copy;
}
