import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { NexusMetrics } from '../../infra/metrics/nexus-metrics.js';

/**
 * Counts and times every request by its route *template* (`/approvals/:ask_id/decide`), so ids never become label
 * values; a request no route matched is `unmatched` (a scan of random paths cannot grow the series).
 */
export function httpMetrics(metrics: NexusMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    // Middlewares are registered for ALL methods; the handler that answered is the last route with a method.
    const handler = matchedRoutes(c).filter((r) => r.method !== 'ALL').at(-1);
    const route = handler?.path ?? 'unmatched';
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
  };
}
