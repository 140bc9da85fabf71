import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ApiErrorBody } from '../../contracts/index.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { requireRole } from '../middleware/auth.js';
import type { FeedSubscription } from '../sse/report-feed.js';
import { RevocationWatch } from '../sse/revocation-watch.js';
import { StreamPage } from '../sse/stream-page.js';
import { parseStreamQuery } from '../sse/stream-query.js';
import { StreamSession } from '../sse/stream-session.js';

/** How long a revoked stream may take to finish its last write before its socket is cut. */
const REVOKED_GRACE_MS = 1_000;
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
    // Counted per token (a ticket counts against the token that minted it); taken last, so a 400 holds no slot.
    const release = deps.sseClients.acquire(principal.token_id ?? `${principal.kind}:${principal.id}`);
    if (!release) {
      throw new ApiError(429, 'rate_limited', `at most ${deps.sseClients.max} open streams per token (NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL)`, undefined, 5);
    }
    c.header('X-Accel-Buffering', 'no');
    const socket = (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;

    return streamSSE(c, async (stream) => {
      let sub: FeedSubscription | undefined;
      let revoked = false;
      let backendFault = false;
      let cut: NodeJS.Timeout | undefined;
      const unwatch = principal.token_id === undefined ? () => undefined : revocations.watch(principal.token_id, () => {
        revoked = true;
        sub?.close();
        // A client that stopped reading leaves us blocked in a write that closing the feed cannot end.
        cut = setTimeout(() => socket?.destroy(), REVOKED_GRACE_MS).unref();
      });
      stream.onAbort(() => {
        sub?.close();
        release();
        unwatch();
      });
      // A page that ended says so with `end` and gets no retry hint: there is nothing to come back for.
      let pageEnded = false;
      try {
        await stream.write(`retry: ${deps.sse.retryMs}\n\n`);
        // A Redis known to be down would only hold this client until its command timeout: say so at once.
        if (deps.redis.status !== 'ready') throw new Error(`redis is ${deps.redis.status}`);
        if (query.page) {
          const end = await new StreamPage(stream, t, query.page, deps).run();
          if (end && !revoked && !stream.aborted) {
            await stream.writeSSE({ event: 'end', data: JSON.stringify(end) });
            pageEnded = true;
          }
          return;
        }
        const session = new StreamSession(stream, t, query.cursor ?? '0-0', query.filter, deps);
        sub = await deps.feeds.subscribe(t);
        // A client that stopped reading leaves our write blocked on backpressure: only closing its socket frees
        // the session, the subscription and its slot. It reconnects and resumes from its last id.
        sub.onFailure = (reason) => {
          if (reason === 'overflow') socket?.destroy();
        };
        if (stream.aborted || revoked) return;
        await session.run(sub);
        if (sub.failure === 'overflow') log.warn({ org_id: t.org_id, project_id: t.project_id }, 'slow SSE client dropped; it will resume from its last id');
      } catch (err) {
        backendFault = true;
        log.warn({ err: (err as Error).message, org_id: t.org_id }, 'stream ended by a backend fault');
      } finally {
        release();
        unwatch();
        sub?.close();
        if (!stream.aborted && !stream.closed && !pageEnded) {
          // Revoked: no retry hint, the reconnect would only meet a 401.
          if (revoked) {
            log.info({ org_id: t.org_id, token_id: principal.token_id }, 'stream closed: its token was revoked');
            await stream.writeSSE({ event: 'error', data: JSON.stringify(REVOKED) }).catch(() => undefined);
          } else {
            if (backendFault || sub?.failure === 'backend') {
              deps.metrics.sseBackendFaults.inc();
              await stream.writeSSE({ event: 'error', data: JSON.stringify(UNAVAILABLE) }).catch(() => undefined);
            }
            await stream.write(`retry: ${deps.sse.retryMs}\n\n`).catch(() => undefined);
          }
        }
        clearTimeout(cut);
      }
    });
  });

  return app;
}
