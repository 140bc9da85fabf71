import type { GapEvent, Tenant } from '../../contracts/index.js';
import { compareStreamIds } from '../../contracts/stream-id.js';
import type { ApiDeps } from '../api-deps.js';
import type { SseOut } from './sse-socket.js';

/** The `gap` event a client resuming after `cursor` must see first, or undefined when nothing after it was trimmed. */
async function gapAfter(deps: Pick<ApiDeps, 'store'>, tenant: Tenant, cursor: string): Promise<GapEvent | undefined> {
  if (cursor === '0-0') return undefined;
  const trimmed = await deps.store.trimmedUpTo(tenant);
  if (trimmed === null || compareStreamIds(cursor, trimmed) >= 0) return undefined;
  return {
    cursor,
    first_available_id: await deps.store.firstId(tenant),
    message: `reports after ${cursor} up to ${trimmed} were trimmed by the retention limit and cannot be replayed`,
  };
}

/** Sends (and counts) the `gap` event for a stream or a forward page that resumes after `cursor`, if anything was lost. */
export async function announceGap(stream: SseOut, deps: Pick<ApiDeps, 'store' | 'metrics'>, tenant: Tenant, cursor: string): Promise<void> {
  const gap = await gapAfter(deps, tenant, cursor);
  if (!gap) return;
  await stream.writeSSE({ event: 'gap', data: JSON.stringify(gap) });
  deps.metrics.sseGaps.inc();
}
