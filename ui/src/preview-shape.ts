/**
 * How an agent's structured preview (`details` of a preview, `preview` of an ask) is read: the fields NEXUS draws
 * as facts and the shapes of their items. Shared by the dashboard (`preview-details.ts`) and the page an approval
 * link opens (drawn by the API), so both show an approver the same facts; anything else is shown as JSON.
 */
export const DRAWN_PREVIEW_FIELDS = new Set(['channel', 'file', 'rows', 'recipients', 'invalid_count', 'invalid_rows', 'samples', 'columns']);

export interface PreviewSample { row: number; to: string; message: string }
export interface PreviewLeftOut { row: number; reason: string }

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function isSample(value: unknown): value is PreviewSample {
  const v = asRecord(value);
  return v !== undefined && typeof v.row === 'number' && typeof v.to === 'string' && typeof v.message === 'string';
}

export function isLeftOut(value: unknown): value is PreviewLeftOut {
  const v = asRecord(value);
  return v !== undefined && typeof v.row === 'number' && typeof v.reason === 'string';
}
