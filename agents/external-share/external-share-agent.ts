import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { defineAgent } from '../agent.js';
import { AgentError } from '../agent-error.js';
import { DestinationRefusedError, isInternalAddress } from './address-guard.js';
import { postJson } from './post-json.js';
import { ShareAllowlist } from './share-allowlist.js';
import type { Tenant } from '../../contracts/index.js';

export interface ExternalShareOptions {
  /** The tenant's own list (from its policy file), which narrows the install-wide one. */
  tenantAllowlist?: (tenant: Tenant) => Promise<readonly string[] | undefined>;
  /** HMAC-SHA256 key for the `x-nexus-signature` header; receivers verify the body came from NEXUS. */
  signingSecret?: string;
  maxBytes?: number;
  timeoutMs?: number;
}

/** Refinements run even after the URL check failed; they must not throw on a value that is not a URL. */
function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** RED: sends data outside the organisation. Never runs without an approval bound to this exact url and payload. */
export function createExternalShareAgent(allowlist: ShareAllowlist, options: ExternalShareOptions = {}) {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;

  const ShareParams = z.strictObject({
    url: z.url({ protocol: /^https?$/ })
      .refine((u) => {
        const url = parseUrl(u);
        return url !== undefined && allowlist.allows(url);
      }, 'the host is not on NEXUS_SHARE_ALLOWLIST')
      .refine((u) => {
        // A literal internal IP must be allowlisted as an IP, not merely match a name.
        const host = parseUrl(u)?.hostname.replace(/^\[|\]$/g, '') ?? '';
        return !isIP(host) || !isInternalAddress(host) || allowlist.allowsAddress(host);
      }, 'internal addresses are refused unless allowlisted by IP')
      .describe('Where the payload is POSTed; must be on NEXUS_SHARE_ALLOWLIST'),
    payload: z.unknown()
      .refine((p) => Buffer.byteLength(JSON.stringify(p ?? null)) <= maxBytes, `the payload is larger than ${maxBytes} bytes`)
      .describe('JSON sent as the request body'),
  });

  return defineAgent({
    name: 'external_share',
    description: 'POSTs a JSON payload to an allowlisted URL outside the organisation.',
    params: ShareParams,
    risk: 'RED',
    summarize: (params) => {
      const url = new URL(params.url);
      const size = JSON.stringify(params.payload ?? null).length;
      return {
        title: `Share data with ${url.host}`,
        description: `POST ${size} bytes of JSON to ${url.href}. The data leaves the organisation.`,
      };
    },
    run: async (params, ctx) => {
      const url = new URL(params.url);
      if (!allowlist.allows(url)) {
        throw new AgentError('destination_not_allowed', `${url.host} is not on NEXUS_SHARE_ALLOWLIST`, false);
      }
      const narrowed = await options.tenantAllowlist?.(ctx.tenant);
      if (narrowed && !new ShareAllowlist(narrowed).allows(url)) {
        throw new AgentError('destination_not_allowed', `${url.host} is not on this project's share_allowlist (policy)`, false);
      }
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
        ({ status } = await postJson(url, body, headers, { allowedIp: (ip) => allowlist.allowsAddress(ip), timeoutMs, signal: ctx.signal }));
      } catch (err) {
        if (err instanceof DestinationRefusedError) throw new AgentError('destination_not_allowed', err.message, false);
        throw new AgentError('share_unreachable', `could not reach ${url.host}: ${(err as Error).message}`, true);
      }
      if (status < 200 || status >= 300) {
        const retryable = status >= 500 || status === 429;
        throw new AgentError('share_rejected', `${url.host} answered ${status}`, retryable);
      }
      return { delivered: true, status, url: url.href };
    },
  });
}
