import { z } from 'zod';
import { defineAgent } from '../agent.js';
import { AgentError } from '../agent-error.js';
import type { ShareAllowlist } from './share-allowlist.js';

const ShareParams = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).describe('Where the payload is POSTed; must be on NEXUS_SHARE_ALLOWLIST'),
  payload: z.unknown().describe('JSON sent as the request body'),
});

const SHARE_TIMEOUT_MS = 10_000;

/** RED: sends data outside the organisation. Never runs without an approval bound to this exact url and payload. */
export function createExternalShareAgent(allowlist: ShareAllowlist) {
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
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': ctx.idempotencyKey,
            'x-correlation-id': ctx.correlationId,
          },
          body: JSON.stringify(params.payload ?? null),
          redirect: 'error',
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(SHARE_TIMEOUT_MS)]),
        });
      } catch (err) {
        throw new AgentError('share_unreachable', `could not reach ${url.host}: ${(err as Error).message}`, true);
      }
      await response.body?.cancel();
      if (!response.ok) {
        const retryable = response.status >= 500 || response.status === 429;
        throw new AgentError('share_rejected', `${url.host} answered ${response.status}`, retryable);
      }
      return { delivered: true, status: response.status, url: url.href };
    },
  });
}
