/**
 * How much a zip may hold before we refuse to open it. Checked on the central directory before anything inflates,
 * then again while inflating (declared sizes are the sender's word).
 */
export interface ZipLimits {
  /** Central directory entries, directories included. */
  maxEntries: number;
  /** Sum of every entry's uncompressed size, declared and actual. */
  maxTotalUncompressedBytes: number;
  /** Uncompressed ÷ compressed, for entries larger than `ratioCheckMinBytes`. */
  maxCompressionRatio: number;
  /** Small entries may compress absurdly well (a run of empty rows) without being a threat. */
  ratioCheckMinBytes: number;
}

const MiB = 1024 * 1024;

/** Generous for any office document; tighten per use (see SPREADSHEET_LIMITS). */
export const DEFAULT_ZIP_LIMITS: ZipLimits = Object.freeze({
  maxEntries: 10_000,
  maxTotalUncompressedBytes: 100 * MiB,
  // DEFLATE tops out near 1032:1; real XML parts sit around 5–30:1, so 200:1 leaves wide room for honest files.
  maxCompressionRatio: 200,
  ratioCheckMinBytes: 256 * 1024,
});

export function zipLimits(overrides: Partial<ZipLimits> = {}): ZipLimits {
  return { ...DEFAULT_ZIP_LIMITS, ...overrides };
}
