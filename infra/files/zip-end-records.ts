import { invalid } from './zip-refusal.js';

/** Where the central directory is and how many entries it claims, from the end-of-central-directory records. */
export interface ZipDirectoryLocation {
  entryCount: number;
  offset: number;
  size: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
/** Signature and the record-size field; the record's own size field counts what follows them. */
const ZIP64_EOCD_LEAD = 12;
const ZIP64_EOCD_MIN_SIZE = 44;
const MAX_COMMENT = 0xffff;

/**
 * Reads the end-of-central-directory record (and its zip64 form when a field is saturated).
 *
 * Strict on purpose: exceljs hands the bytes to JSZip, which takes the *last* EOCD signature in the file, the
 * *last* zip64 locator, and silently re-bases every offset when the directory does not end where the EOCD
 * starts (bytes prepended). Any of those lets a crafted file show us one directory and JSZip another, so here
 * the EOCD must end exactly at the end of the file (no trailing bytes, no signature hidden in its comment) and
 * the directory must end exactly where the records after it begin.
 */
export function readDirectoryLocation(view: DataView): ZipDirectoryLocation {
  const eocd = findEndRecord(view);
  const field16 = (at: number) => view.getUint16(eocd + at, true);
  const field32 = (at: number) => view.getUint32(eocd + at, true);
  const [disk, directoryDisk, entriesHere, entries] = [field16(4), field16(6), field16(8), field16(10)];
  const [size, offset] = [field32(12), field32(16)];

  // The same condition JSZip uses to switch to zip64: any field too small for its value.
  const saturated = [disk, directoryDisk, entriesHere, entries].includes(0xffff) || size === 0xffffffff || offset === 0xffffffff;
  if (!saturated) {
    if (disk !== 0 || directoryDisk !== 0 || entriesHere !== entries) throw invalid('multi-volume zips are not supported');
    return checkedLocation({ entryCount: entries, offset, size }, eocd);
  }
  return readZip64Location(view, eocd);
}

function findEndRecord(view: DataView): number {
  if (view.byteLength < EOCD_SIZE) throw invalid('the file is too short to be a zip');
  const lowest = Math.max(0, view.byteLength - EOCD_SIZE - MAX_COMMENT);
  // Scanning back from the end finds the last signature, the one JSZip would take.
  for (let at = view.byteLength - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) !== EOCD_SIGNATURE) continue;
    if (at + EOCD_SIZE + view.getUint16(at + 20, true) !== view.byteLength) {
      throw invalid('the end-of-central-directory record does not end the file (truncated, or bytes appended)');
    }
    return at;
  }
  throw invalid('no end-of-central-directory record: truncated or not a zip');
}

function readZip64Location(view: DataView, eocd: number): ZipDirectoryLocation {
  const locator = eocd - ZIP64_LOCATOR_SIZE;
  if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE) throw invalid('zip64 end-of-central-directory locator missing');
  for (let at = locator + 1; at + 4 <= view.byteLength; at++) {
    if (view.getUint32(at, true) === ZIP64_LOCATOR_SIGNATURE) throw invalid('a second zip64 locator after the first');
  }
  if (view.getUint32(locator + 4, true) !== 0 || view.getUint32(locator + 16, true) > 1) throw invalid('multi-volume zips are not supported');
  const record = uint64(view, locator + 8);
  if (record + ZIP64_EOCD_LEAD + ZIP64_EOCD_MIN_SIZE > locator || view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) {
    throw invalid('zip64 end-of-central-directory record missing or out of bounds');
  }
  if (record + ZIP64_EOCD_LEAD + uint64(view, record + 4) !== locator) throw invalid('zip64 end-of-central-directory record has the wrong size');
  if (view.getUint32(record + 16, true) !== 0 || view.getUint32(record + 20, true) !== 0) throw invalid('multi-volume zips are not supported');
  const entriesHere = uint64(view, record + 24);
  const entries = uint64(view, record + 32);
  if (entriesHere !== entries) throw invalid('multi-volume zips are not supported');
  return checkedLocation({ entryCount: entries, size: uint64(view, record + 40), offset: uint64(view, record + 48) }, record);
}

function checkedLocation(location: ZipDirectoryLocation, directoryEnd: number): ZipDirectoryLocation {
  if (location.offset + location.size !== directoryEnd) {
    throw invalid('the central directory does not end where the end records begin (bad offsets, or bytes prepended)');
  }
  return location;
}

/** A 64-bit field as a number; beyond 2^53 it is Infinity, which every bounds and size check then refuses. */
export function uint64(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(value);
}
