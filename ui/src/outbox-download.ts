import type { Tenant } from '../../contracts/index.js';
import { tenantHeaders } from './api-client.js';
import { h } from './element.js';
import { errorMessage } from './error-text.js';
import { t } from './i18n/locale.js';
import { isMessage, outboxCsv, type OutboxResult } from './outbox-csv.js';

/** Long enough for any browser to have started saving; the page must not keep every download's bytes alive. */
const REVOKE_AFTER_MS = 60_000;

/**
 * Saves an outbox as CSV: every message, read from the outbox file itself (`GET /files/{outbox_file_id}`, which the
 * run wrote) rather than the result on the stream, which lists at most a thousand. Answers why not, when it could not.
 */
export async function downloadOutbox(result: OutboxResult, tenant: Tenant): Promise<string | undefined> {
  let messages;
  try {
    const response = await fetch(`/files/${encodeURIComponent(result.outbox_file_id)}`, { headers: tenantHeaders(tenant) });
    if (!response.ok) return await errorMessage(response);
    const body = (await response.json()) as { messages?: unknown };
    messages = Array.isArray(body.messages) ? body.messages.filter(isMessage) : [];
  } catch {
    return t.connection.apiSilent;
  }
  const csv = outboxCsv(messages, [t.outbox.csvRow, t.outbox.csvRecipient, t.outbox.csvMessage]);
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const source = result.file?.name.replace(/\.(xlsx|csv)$/i, '') ?? 'outbox';
  const link = h('a', { href: url, download: t.outbox.csvName(source), hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  return undefined;
}
