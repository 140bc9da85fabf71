import type { MiddlewareHandler } from 'hono';
import type { NexusMetrics } from '../../infra/metrics/nexus-metrics.js';
import { routeTemplate } from './route-template.js';

/** Counts and times every request by its route template. */
export function httpMetrics(metrics: NexusMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = routeTemplate(c);
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
  };
}
