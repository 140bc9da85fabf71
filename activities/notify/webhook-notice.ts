import { createHmac } from 'node:crypto';
import type { NotifyStage } from '../../contracts/index.js';

/** The event types a webhook receiver sees, per stage. */
export const WEBHOOK_EVENT: Record<NotifyStage, string> = { ask: 'ask.created', reminder: 'ask.reminder', escalation: 'ask.escalated' };

/**
 * Headers that sign a webhook the Standard Webhooks way (standardwebhooks.com): `webhook-id` stays the same across
 * retries (the receiver's idempotency key), `webhook-signature` is `v1,` + base64 HMAC-SHA256 over
 * `<id>.<timestamp>.<body>` with the secret's bytes (the part after `whsec_`, base64). Any Standard Webhooks library
 * verifies it; the timestamp lets a receiver refuse replays of old deliveries.
 */
export function webhookHeaders(secret: Buffer, id: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signature = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/** The secret's bytes from its `whsec_<base64>` text (validated when the config is read). */
export function webhookSecretBytes(text: string): Buffer {
  return Buffer.from(text.slice('whsec_'.length), 'base64');
}
