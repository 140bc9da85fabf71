import { constants, deflateRawSync } from 'node:zlib';

/** One entry as it will be written: `data` is already compressed (or stored); every declared field can lie. */
export interface ZipBuilderEntry {
  name: string;
  data: Uint8Array;
  method?: number;
  uncompressedSize: number;
  compressedSize?: number;
  crc?: number;
  flags?: number;
  /** Name written in the local header, when it should differ from the directory's. */
  localName?: string;
  /** Points this entry's directory record at another entry's local header (an overlapping bomb). */
  sameDataAs?: number;
}

export interface ZipBuilderOptions {
  zip64?: boolean;
  comment?: Uint8Array;
  entryCount?: number;
}

const MiB = 1024 * 1024;

/**
 * Writes a zip by hand so tests can make the ones no honest tool makes: sizes declared in the gigabytes, sizes
 * that lie, overlapping entries, zip64 records. No data descriptors: sizes are in the local headers too.
 */
export function buildZip(entries: ZipBuilderEntry[], options: ZipBuilderOptions = {}): Uint8Array {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  entries.forEach((entry, i) => {
    if (entry.sameDataAs !== undefined) {
      offsets[i] = offsets[entry.sameDataAs] ?? 0;
      return;
    }
    const name = Buffer.from(entry.localName ?? entry.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(options.zip64 ? 45 : 20, 4);
    local.writeUInt16LE((entry.flags ?? 0) | 0x0800, 6);
    local.writeUInt16LE(entry.method ?? 8, 8);
    local.writeUInt32LE(entry.crc ?? 0, 14);
    local.writeUInt32LE(options.zip64 ? 0xffffffff : (entry.compressedSize ?? entry.data.byteLength), 18);
    local.writeUInt32LE(options.zip64 ? 0xffffffff : entry.uncompressedSize, 22);
    local.writeUInt16LE(name.byteLength, 26);
    offsets[i] = offset;
    parts.push(local, name, Buffer.from(entry.data));
    offset += local.byteLength + name.byteLength + entry.data.byteLength;
  });

  const directoryOffset = offset;
  entries.forEach((entry, i) => {
    const name = Buffer.from(entry.name);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(options.zip64 ? 45 : 20, 4);
    central.writeUInt16LE(options.zip64 ? 45 : 20, 6);
    central.writeUInt16LE((entry.flags ?? 0) | 0x0800, 8);
    central.writeUInt16LE(entry.method ?? 8, 10);
    central.writeUInt32LE(entry.crc ?? 0, 16);
    const sizes = [entry.uncompressedSize, entry.compressedSize ?? entries[entry.sameDataAs ?? i]?.data.byteLength ?? 0, offsets[i] ?? 0];
    let extra = Buffer.alloc(0);
    if (options.zip64) {
      central.writeUInt32LE(0xffffffff, 20);
      central.writeUInt32LE(0xffffffff, 24);
      central.writeUInt32LE(0xffffffff, 42);
      extra = Buffer.alloc(4 + 24);
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      sizes.forEach((value, k) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * k));
    } else {
      central.writeUInt32LE(sizes[1] ?? 0, 20);
      central.writeUInt32LE(sizes[0] ?? 0, 24);
      central.writeUInt32LE(sizes[2] ?? 0, 42);
    }
    central.writeUInt16LE(name.byteLength, 28);
    central.writeUInt16LE(extra.byteLength, 30);
    parts.push(central, name, extra);
    offset += central.byteLength + name.byteLength + extra.byteLength;
  });

  const directorySize = offset - directoryOffset;
  const count = options.entryCount ?? entries.length;
  if (options.zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(directorySize), 40);
    record.writeBigUInt64LE(BigInt(directoryOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
  }
  const comment = Buffer.from(options.comment ?? new Uint8Array(0));
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.zip64 ? 0xffff : count, 8);
  end.writeUInt16LE(options.zip64 ? 0xffff : count, 10);
  end.writeUInt32LE(options.zip64 ? 0xffffffff : directorySize, 12);
  end.writeUInt32LE(options.zip64 ? 0xffffffff : directoryOffset, 16);
  end.writeUInt16LE(comment.byteLength, 20);
  parts.push(end, comment);
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Raw DEFLATE data that inflates to `mib` MiB of zeros, made without deflating them all: one MiB is deflated and
 * ended with a full flush (byte-aligned, history reset), so the same bytes can be repeated, and an empty final
 * block closes the stream. About 1 KiB per MiB: the 1000:1 ratio of a real zip bomb, in a millisecond.
 */
export function deflatedZeros(mib: number): Uint8Array {
  const block = deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const finalEmptyBlock = Buffer.from([0x03, 0x00]);
  return new Uint8Array(Buffer.concat([...Array.from({ length: mib }, () => block), finalEmptyBlock]));
}

/** CRC-32 (zlib.crc32 needs Node 20.15; the engines field allows 20.3). */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** An honest entry: deflated, with its true sizes and CRC. */
export function deflatedEntry(name: string, content: string | Uint8Array): ZipBuilderEntry {
  const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  return { name, data: new Uint8Array(deflateRawSync(bytes)), uncompressedSize: bytes.byteLength, crc: crc32(bytes) };
}

/** The honest bomb: a worksheet that really is `mib` MiB of zeros, and says so. */
export function honestBomb(mib: number): Uint8Array {
  return buildZip([{ name: 'xl/worksheets/sheet1.xml', data: deflatedZeros(mib), uncompressedSize: mib * MiB }]);
}

/** The lying bomb: the same data, declaring a size that passes every directory check. */
export function lyingBomb(mib: number, declaredBytes = 64 * 1024): Uint8Array {
  const data = deflatedZeros(mib);
  return buildZip([{ name: 'xl/worksheets/sheet1.xml', data, uncompressedSize: declaredBytes }]);
}

/**
 * The many-small-sheets workbook: `count` worksheets of `kib` KiB of XML each, every entry under the ratio
 * check's threshold and the whole under the zip's total, which exceljs would still build sheet by sheet.
 */
export function manySmallSheets(count: number, kib: number): Uint8Array {
  const row = (i: number) => `<row r="${i}"><c r="A${i}"><v>${i % 97}</v></c><c r="B${i}"><v>${i % 89}</v></c></row>`;
  let xml = '<worksheet><sheetData>';
  for (let i = 1; xml.length < kib * 1024 - 64; i++) xml += row(i);
  const sheet = deflatedEntry('xl/worksheets/sheet1.xml', `${xml}</sheetData></worksheet>`);
  return buildZip([
    deflatedEntry('xl/workbook.xml', '<workbook/>'),
    ...Array.from({ length: count }, (_, i) => ({ ...sheet, name: `xl/worksheets/sheet${i + 1}.xml` })),
  ]);
}
