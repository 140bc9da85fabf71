import type { GapEvent, Tenant } from '../../contracts/index.js';
import { compareStreamIds } from '../../contracts/stream-id.js';
import type { ReportStore } from '../../infra/store/report-store.js';

/** The `gap` event a client resuming after `cursor` must see first, or undefined when nothing after it was trimmed. */
export async function gapAfter(store: ReportStore, tenant: Tenant, cursor: string): Promise<GapEvent | undefined> {
  if (cursor === '0-0') return undefined;
  const trimmed = await store.trimmedUpTo(tenant);
  if (trimmed === null || compareStreamIds(cursor, trimmed) >= 0) return undefined;
  return {
    cursor,
    first_available_id: await store.firstId(tenant),
    message: `reports after ${cursor} up to ${trimmed} were trimmed by the retention limit and cannot be replayed`,
  };
}
