import { z } from 'zod';

/** What NEXUS read of an uploaded spreadsheet when it took it: enough to fill a form without opening the file. */
export const SheetSummary = z.object({
  worksheet: z.string().nullable().describe('The worksheet read: an .xlsx’s first (null for a CSV)'),
  worksheets: z.array(z.string()).describe('Every worksheet of an .xlsx, in order ([] for a CSV)'),
  rows: z.number().int().min(0).describe('Rows with any value below the header row'),
  columns: z.array(z.string()).describe('The header row, as written (an empty header is column_<n>)'),
});
export type SheetSummary = z.infer<typeof SheetSummary>;

/** A file in a tenant's store: an upload (`sheet` says what is in it) or a record an agent wrote (an outbox). */
export const FileInfo = z.object({
  file_id: z.uuid(),
  name: z.string(),
  size: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  content_type: z.string(),
  created_at: z.iso.datetime(),
  sheet: SheetSummary.optional(),
});
export type FileInfo = z.infer<typeof FileInfo>;

export const FILE_KINDS = ['spreadsheet', 'outbox'] as const;
export type FileKind = (typeof FILE_KINDS)[number];
export const FILE_LIST_MAX = 200;
export const FILE_LIST_DEFAULT = 50;

export const FileList = z.object({
  files: z.array(FileInfo).describe('Newest first'),
  more: z.boolean().describe('Older files exist beyond `limit`'),
});
export type FileList = z.infer<typeof FileList>;
