import { Hono } from 'hono';
import { metricsText } from '../../infra/metrics/metrics-text.js';
import type { ApiDeps } from '../api-deps.js';

/**
 * `GET /metrics`: Prometheus text of this process (its roles' metrics and, with a worker, Temporal core's; under
 * `./nexus start`, the worker's and bridge's processes too). Open
 * like `/health`: counts and latencies labelled by route, type and outcome, never by tenant, user or id.
 */
export function metricsRoutes(deps: ApiDeps) {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    c.header('cache-control', 'no-store');
    return c.body(await metricsText(deps.metrics, deps.temporalCoreMetricsUrl, deps.siblingMetrics));
  });
  return app;
}
