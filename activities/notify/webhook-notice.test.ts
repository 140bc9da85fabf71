import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { webhookHeaders, webhookSecretBytes } from './webhook-notice.js';

// Checked by the Standard Webhooks reference library (standardwebhooks on npm), not by our own code read backwards.
describe('webhook signatures', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const body = JSON.stringify({ type: 'ask.created', data: { ask_id: 'a1', title: 'Share 서울 results' } });

  it('verify with the Standard Webhooks library, id and timestamp included', () => {
    const headers = webhookHeaders(webhookSecretBytes(secret), 'a1.ask.0123456789abcdef', body);
    expect(headers['webhook-id']).toBe('a1.ask.0123456789abcdef');
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('fail verification for a changed body, another id, another secret, and an old timestamp', () => {
    const headers = webhookHeaders(webhookSecretBytes(secret), 'a1.ask.0123456789abcdef', body);
    const hook = new Webhook(secret);
    expect(() => hook.verify(body.replace('a1', 'a2'), headers)).toThrow();
    expect(() => hook.verify(body, { ...headers, 'webhook-id': 'a2.ask.0123456789abcdef' })).toThrow();
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(body, headers)).toThrow();
    const old = webhookHeaders(webhookSecretBytes(secret), 'a1.ask.0123456789abcdef', body, new Date(Date.now() - 60 * 60_000));
    expect(() => hook.verify(body, old)).toThrow(/timestamp/i);
  });
});
