import { readDirectoryLocation, uint64 } from './zip-end-records.js';
import type { ZipLimits } from './zip-limits.js';
import { invalid, tooLarge } from './zip-refusal.js';

/** One file in a zip, as its central directory declares it (checked against its local header). */
export interface ZipEntry {
  /** Decoded and quoted, for messages only; comparisons use the raw bytes. */
  name: string;
  /** The raw name byte for byte (latin1), for matching a part by its path (`xl/worksheets/…`). */
  path: string;
  /** 0 stored, 8 deflated: the only methods JSZip (and so exceljs) reads. */
  method: 0 | 8;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** Where the entry's compressed bytes start. */
  dataOffset: number;
}

const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_SIZE = 30;
const ZIP64_EXTRA = 0x0001;
const SATURATED_32 = 0xffffffff;
/** Bit 0: traditional encryption; bit 6: strong encryption; bit 13: encrypted central directory. */
const ENCRYPTION_FLAGS = 0x0001 | 0x0040 | 0x2000;
const DATA_DESCRIPTOR_FLAG = 0x0008;

/**
 * Reads every central directory entry and refuses the zip, before a single byte is inflated, when it has too many
 * entries, declares too much uncompressed data, compresses an entry implausibly well, or is malformed in a way
 * that could make another reader see something else (see zip-end-records.ts). It only reads `bytes`; memory is
 * the entry list, at most `limits.maxEntries` long.
 */
export function readZipDirectory(bytes: Uint8Array, limits: ZipLimits): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const directory = readDirectoryLocation(view);
  if (directory.entryCount * CENTRAL_SIZE > directory.size) throw invalid('the central directory is shorter than its entry count');
  if (directory.entryCount > limits.maxEntries) throw tooLarge(`the zip has ${directory.entryCount} entries; at most ${limits.maxEntries} are allowed`);

  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let totalUncompressed = 0;
  let at = directory.offset;
  const end = directory.offset + directory.size;
  for (let i = 0; i < directory.entryCount; i++) {
    const { entry, rawName, next } = readCentralEntry(bytes, view, at, end);
    checkLocalHeader(bytes, view, entry, rawName, directory.offset);
    if (names.has(rawName.toString('latin1'))) throw invalid(`${entry.name} appears twice`);
    names.add(rawName.toString('latin1'));
    totalUncompressed += entry.uncompressedSize;
    checkSizes(entry, totalUncompressed, limits);
    entries.push(entry);
    at = next;
  }
  // JSZip reads entries until the signatures stop, not by the count: the directory must hold exactly `count`.
  if (at !== end) throw invalid('the central directory holds more than its entry count');
  checkNoOverlap(entries);
  return entries;
}

function readCentralEntry(bytes: Uint8Array, view: DataView, at: number, end: number) {
  if (at + CENTRAL_SIZE > end || view.getUint32(at, true) !== CENTRAL_SIGNATURE) throw invalid('a central directory entry is missing or cut short');
  const flags = view.getUint16(at + 8, true);
  const method = view.getUint16(at + 10, true);
  const nameLength = view.getUint16(at + 28, true);
  const extraLength = view.getUint16(at + 30, true);
  const commentLength = view.getUint16(at + 32, true);
  const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
  if (next > end) throw invalid('a central directory entry runs past the directory');
  const rawName = Buffer.from(bytes.buffer, bytes.byteOffset + at + CENTRAL_SIZE, nameLength);
  const name = printable(rawName);
  if (flags & ENCRYPTION_FLAGS) throw invalid(`${name} is encrypted`);
  if (method !== 0 && method !== 8) throw invalid(`${name} uses compression method ${method}; only stored and deflated entries are read`);
  if (view.getUint16(at + 34, true) !== 0) throw invalid('multi-volume zips are not supported');

  // Saturated 32-bit fields are in the zip64 extra field, in this order, only those that are saturated.
  const zip64 = zip64Reader(view, at + CENTRAL_SIZE + nameLength, extraLength, name);
  const field = (offset: number) => {
    const value = view.getUint32(at + offset, true);
    return value === SATURATED_32 ? zip64() : value;
  };
  const uncompressedSize = field(24);
  const compressedSize = field(20);
  const localHeaderOffset = field(42);
  if (method === 0 && compressedSize !== uncompressedSize) throw invalid(`${name} is stored but its two sizes differ`);
  const entry: ZipEntry = { name, path: rawName.toString('latin1'), method, compressedSize, uncompressedSize, localHeaderOffset, dataOffset: 0 };
  return { entry, rawName, next };
}

/** Parses the extra fields strictly (each inside its block, one zip64 field at most) and reads zip64 values in turn. */
function zip64Reader(view: DataView, start: number, length: number, name: string): () => number {
  let zip64: { at: number; end: number } | undefined;
  for (let at = start; at < start + length; ) {
    if (at + 4 > start + length) throw invalid(`${name} has a malformed extra field`);
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (at + 4 + size > start + length) throw invalid(`${name} has a malformed extra field`);
    if (id === ZIP64_EXTRA) {
      if (zip64) throw invalid(`${name} has two zip64 extra fields`);
      zip64 = { at: at + 4, end: at + 4 + size };
    }
    at += 4 + size;
  }
  return () => {
    if (!zip64 || zip64.at + 8 > zip64.end) throw invalid(`${name} is missing a zip64 size or offset`);
    const value = uint64(view, zip64.at);
    zip64.at += 8;
    return value;
  };
}

/**
 * JSZip takes the name from the local header and the sizes and method from the directory, so the two must agree
 * (a bomb can hide behind a mismatched pair), and the data must lie before the central directory.
 */
function checkLocalHeader(bytes: Uint8Array, view: DataView, entry: ZipEntry, rawName: Buffer, directoryOffset: number): void {
  const at = entry.localHeaderOffset;
  if (at + LOCAL_SIZE > directoryOffset || view.getUint32(at, true) !== LOCAL_SIGNATURE) throw invalid(`${entry.name}: no local header at its offset`);
  const flags = view.getUint16(at + 6, true);
  const nameLength = view.getUint16(at + 26, true);
  const dataOffset = at + LOCAL_SIZE + nameLength + view.getUint16(at + 28, true);
  if (dataOffset + entry.compressedSize > directoryOffset) throw invalid(`${entry.name}: its data runs past the start of the central directory`);
  if (!rawName.equals(Buffer.from(bytes.buffer, bytes.byteOffset + at + LOCAL_SIZE, nameLength))) throw invalid(`${entry.name}: the local header names another file`);
  if (flags & ENCRYPTION_FLAGS) throw invalid(`${entry.name} is encrypted`);
  if (view.getUint16(at + 8, true) !== entry.method) throw invalid(`${entry.name}: the local header declares another compression method`);
  if (!(flags & DATA_DESCRIPTOR_FLAG)) {
    // Without a data descriptor the local sizes are real (or saturated, for zip64) and must match the directory's.
    const agrees = (value: number, expected: number) => value === expected || value === SATURATED_32;
    if (!agrees(view.getUint32(at + 18, true), entry.compressedSize) || !agrees(view.getUint32(at + 22, true), entry.uncompressedSize)) {
      throw invalid(`${entry.name}: the local header declares other sizes than the central directory`);
    }
  }
  entry.dataOffset = dataOffset;
}

function checkSizes(entry: ZipEntry, totalUncompressed: number, limits: ZipLimits): void {
  if (totalUncompressed > limits.maxTotalUncompressedBytes) {
    throw tooLarge(`the zip declares ${mib(totalUncompressed)} uncompressed (${entry.name} reaches it); at most ${mib(limits.maxTotalUncompressedBytes)} are allowed`);
  }
  const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
  if (entry.uncompressedSize > limits.ratioCheckMinBytes && ratio > limits.maxCompressionRatio) {
    throw tooLarge(`${entry.name} is compressed ${Math.round(ratio)}:1; at most ${limits.maxCompressionRatio}:1 is allowed`);
  }
}

/** Overlapping entries are how a zip bomb makes many files out of one compressed block; no honest writer does it. */
function checkNoOverlap(entries: ZipEntry[]): void {
  const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const before = byOffset[i - 1];
    const entry = byOffset[i];
    if (before && entry && before.dataOffset + before.compressedSize > entry.localHeaderOffset) {
      throw invalid(`${entry.name} overlaps ${before.name}`);
    }
  }
}

function printable(raw: Buffer): string {
  const name = raw.toString('utf8').replace(/[\u0000-\u001f\u007f]/g, '?');
  return JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name);
}

function mib(bytes: number): string {
  return bytes === Number.POSITIVE_INFINITY ? 'more than 2^53 bytes' : `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
