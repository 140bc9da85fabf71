import type { Tenant } from '../../contracts/index.js';
import type { BlobStore } from '../../infra/files/blob-store.js';
import type { Recipient } from './recipients.js';

export interface OutboxMessage {
  row: number;
  to: string;
  message: string;
  idempotency_key: string;
}

/**
 * The default channel: every message that would go out, recorded as a JSON file in the tenant's blob store
 * (readable with `GET /files/{outbox_file_id}`), and nothing sent. A retry records the same content again under a
 * new id, which is harmless: nothing left NEXUS.
 */
export async function recordOutbox(store: BlobStore, tenant: Tenant, input: { stepKey: string; sourceName: string; recipients: readonly Recipient[] }): Promise<{ fileId: string; messages: OutboxMessage[] }> {
  const messages = input.recipients.map((r) => ({ row: r.row, to: r.phone, message: r.message, idempotency_key: `${input.stepKey}:${r.row}` }));
  const body = { source: input.sourceName, step: input.stepKey, recorded_at: new Date().toISOString(), messages };
  const meta = await store.put(tenant, `outbox-${input.sourceName}.json`, 'application/json', Buffer.from(JSON.stringify(body, null, 2)));
  return { fileId: meta.file_id, messages };
}
