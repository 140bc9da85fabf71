import { Hono } from 'hono';
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { ApiErrorBody, Tenant } from '../../contracts/index.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { requireRole } from '../middleware/auth.js';
import { slotOwner } from '../sse/client-limiter.js';
import type { FeedSubscription } from '../sse/feed-subscription.js';
import { RevocationWatch } from '../sse/revocation-watch.js';
import { StreamPage } from '../sse/stream-page.js';
import { sseFrame } from '../sse/sse-frame.js';
import { SSE_HEADERS, SseSocket } from '../sse/sse-socket.js';
import { parseStreamQuery, type StreamQuery } from '../sse/stream-query.js';
import { StreamSession } from '../sse/stream-session.js';

/** How long a stream's last words may take to leave (a revoked or ending stream) before its socket is cut. */
const LAST_WORDS_GRACE_MS = 1_000;
const REVOKED: ApiErrorBody = { error: { code: 'unauthorized', message: 'the token of this stream was revoked' } };
/** Sent before the retry hint when the report store failed, so a dashboard can say why it is not live. */
const UNAVAILABLE: ApiErrorBody = {
  error: { code: 'backend_unavailable', message: 'the report store (Redis) does not answer' },
};

/**
 * `GET /agent/reports/stream`. Bad input is a 400 before the stream opens; once it is open, any backend fault
 * becomes a `retry:` hint and a clean close, because an EventSource gives up for good on a non-200 answer.
 * A stream opened with a token (or a ticket minted from one) ends with `event: error` when the token is revoked.
 */
export function streamRoutes(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.stream' });
  const revocations = new RevocationWatch(deps.auth.tokens, deps.auth.tokens.cacheTtlMs, log);

  app.get('/agent/reports/stream', requireRole(['viewer', 'operator', 'approver'], { allowQuery: true }), (c) => {
    const t = c.get('tenant');
    const principal = c.get('principal');
    const query = parseStreamQuery(c);
    // A HEAD answer has no body: the stream would never end, writing into nothing.
    if (c.req.method === 'HEAD') return c.body(null, 200, SSE_HEADERS);
    // Counted per token (a ticket counts against the token that minted it); taken last, so a 400 holds no slot.
    const release = deps.sseClients.acquire(slotOwner(principal));
    if (!release) {
      throw new ApiError(429, 'rate_limited', `at most ${deps.sseClients.max} open streams per token (NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL)`, undefined, 5);
    }
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (!outgoing) {
      release();
      throw new ApiError(500, 'internal', 'the report stream is served by the Node HTTP server only');
    }
    const out = SseSocket.open(outgoing);
    void serve(out, t, principal.token_id, query, release);
    // The stream was answered on the socket itself; Hono must not write a response of its own.
    return RESPONSE_ALREADY_SENT;
  });

  async function serve(out: SseSocket, t: Tenant, tokenId: string | undefined, query: StreamQuery, release: () => void): Promise<void> {
    let sub: FeedSubscription | undefined;
    let revoked = false;
    let backendFault = false;
    let cut: NodeJS.Timeout | undefined;
    const unwatch = tokenId === undefined ? () => undefined : revocations.watch(tokenId, () => {
      revoked = true;
      sub?.close();
      // A client that stopped reading leaves us blocked in a write that closing the feed cannot end.
      cut = setTimeout(() => out.destroy(), LAST_WORDS_GRACE_MS).unref();
    });
    out.onAbort(() => {
      sub?.close();
      release();
      unwatch();
    });
    // A page that ended says so with `end` and gets no retry hint: there is nothing to come back for.
    let pageEnded = false;
    try {
      await out.write(`retry: ${deps.sse.retryMs}\n\n`);
      // A Redis known to be down would only hold this client until its command timeout: say so at once.
      if (deps.redis.status !== 'ready') throw new Error(`redis is ${deps.redis.status}`);
      if (query.page) {
        const end = await new StreamPage(out, t, query.page, deps).run();
        if (end && !revoked && !out.aborted) {
          await out.writeSSE({ event: 'end', data: JSON.stringify(end) });
          pageEnded = true;
        }
        return;
      }
      const session = new StreamSession(out, t, query.cursor ?? '0-0', query.filter, deps);
      sub = await deps.feeds.subscribe(t);
      // A client that stopped reading leaves our write blocked on backpressure: only closing its socket frees
      // the session, the subscription and its slot. It reconnects and resumes from its last id.
      sub.onFailure = (reason) => {
        if (reason === 'overflow') out.destroy();
      };
      if (out.aborted || revoked) return;
      await session.run(sub);
      if (sub.failure === 'overflow') log.warn({ org_id: t.org_id, project_id: t.project_id }, 'slow SSE client dropped; it will resume from its last id');
    } catch (err) {
      backendFault = true;
      log.warn({ err: (err as Error).message, org_id: t.org_id }, 'stream ended by a backend fault');
    } finally {
      release();
      unwatch();
      sub?.close();
      if (!out.aborted && !pageEnded) {
        // The last words are handed over without waiting: a client that stopped reading is cut by end's grace.
        // Revoked: no retry hint, the reconnect would only meet a 401.
        if (revoked) {
          log.info({ org_id: t.org_id, token_id: tokenId }, 'stream closed: its token was revoked');
          out.writeNow(sseFrame({ event: 'error', data: JSON.stringify(REVOKED) }));
        } else {
          if (backendFault || sub?.failure === 'backend') {
            deps.metrics.sseBackendFaults.inc();
            out.writeNow(sseFrame({ event: 'error', data: JSON.stringify(UNAVAILABLE) }));
          }
          out.writeNow(`retry: ${deps.sse.retryMs}\n\n`);
        }
      }
      out.end(LAST_WORDS_GRACE_MS);
      clearTimeout(cut);
    }
  }

  return app;
}
