import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { authorityOf, parseShareDestination } from '../../contracts/index.js';
import { defineAgent } from '../agent.js';
import { AgentError } from '../agent-error.js';
import { DestinationRefusedError } from './address-guard.js';
import { postJson } from './post-json.js';
import type { ShareAllowlist } from './share-allowlist.js';
import { ShareDestinations, type TenantAllowlistSource } from './share-destinations.js';

export interface ExternalShareOptions {
  /** The tenant's own list (from its policy file), which narrows the install-wide one. */
  tenantAllowlist?: TenantAllowlistSource;
  /** HMAC-SHA256 key for the `x-nexus-signature` header; receivers verify the body came from NEXUS. */
  signingSecret?: string;
  maxBytes?: number;
  timeoutMs?: number;
}

/** RED: sends data outside the organisation. Never runs without an approval bound to this exact url and payload. */
export function createExternalShareAgent(allowlist: ShareAllowlist, options: ExternalShareOptions = {}) {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const destinations = new ShareDestinations(allowlist, options.tenantAllowlist);

  const ShareParams = z.strictObject({
    url: z.url({ protocol: /^https?$/ })
      // At submission only the install-wide list is known; the project's list is checked by the preview and the run.
      // A URL naming an internal IP can only match an IP or CIDR entry, so "internal only when allowlisted by IP" holds.
      .superRefine((u, ctx) => {
        const parsed = parseShareDestination(u);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
        else if (!allowlist.match(parsed.value)) ctx.addIssue({ code: 'custom', message: `${parsed.value.href} is not on NEXUS_SHARE_ALLOWLIST (scheme, host, port and path must match an entry)` });
      })
      .describe('Where the payload is POSTed; scheme, host, port and path must match an entry of NEXUS_SHARE_ALLOWLIST'),
    payload: z.unknown()
      .refine((p) => Buffer.byteLength(JSON.stringify(p ?? null)) <= maxBytes, `the payload is larger than ${maxBytes} bytes`)
      .describe('JSON sent as the request body'),
  });

  return defineAgent({
    name: 'external_share',
    description: 'POSTs a JSON payload to an allowlisted URL outside the organisation.',
    params: ShareParams,
    risk: 'RED',
    // The approver sees the normalized destination — exactly what will be POSTed — and the entries that allow it.
    preview: async (params, ctx) => {
      const { destination, allowedBy } = await destinations.resolve(params.url, ctx.tenant);
      const size = Buffer.byteLength(JSON.stringify(params.payload ?? null));
      return {
        title: `Share data with ${authorityOf(destination.host, destination.hostKind, destination.port)}`,
        description: `POST ${size} bytes of JSON to ${destination.href} (redirects are not followed). The data leaves the organisation.`,
        details: {
          destination: {
            url: destination.href,
            scheme: destination.scheme,
            host: destination.host,
            port: destination.port,
            path: destination.path,
            ...(destination.search ? { query: destination.search } : {}),
          },
          allowed_by: allowedBy.map((rule) => rule.canonical),
        },
      };
    },
    run: async (params, ctx) => {
      const { destination, allowsAddress } = await destinations.resolve(params.url, ctx.tenant);
      const body = JSON.stringify(params.payload ?? null);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'idempotency-key': ctx.idempotencyKey,
        'x-correlation-id': ctx.correlationId,
        'x-nexus-timestamp': timestamp,
      };
      if (options.signingSecret) {
        headers['x-nexus-signature'] = `sha256=${createHmac('sha256', options.signingSecret).update(`${timestamp}.${body}`).digest('hex')}`;
      }
      let status: number;
      try {
        // The normalized href is sent, not the text the client wrote: what was matched and shown is what the receiver gets.
        ({ status } = await postJson(new URL(destination.href), body, headers, { allowedIp: allowsAddress, timeoutMs, signal: ctx.signal }));
      } catch (err) {
        if (err instanceof DestinationRefusedError) throw new AgentError('destination_not_allowed', err.message, false);
        throw new AgentError('share_unreachable', `could not reach ${destination.href}: ${(err as Error).message}`, true);
      }
      if (status >= 300 && status < 400) {
        // Following a Location would send the data somewhere no entry and no approver named.
        throw new AgentError('share_rejected', `${destination.href} answered ${status} (a redirect); redirects are not followed`, false);
      }
      if (status < 200 || status >= 300) {
        const retryable = status >= 500 || status === 429;
        throw new AgentError('share_rejected', `${destination.href} answered ${status}`, retryable);
      }
      return { delivered: true, status, url: destination.href };
    },
  });
}
