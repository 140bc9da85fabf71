import { Hono } from 'hono';
import { runChecks } from '../../infra/health-checks.js';
import type { ApiDeps } from '../api-deps.js';

/**
 * `GET /health`: 200 when Redis, RabbitMQ and Temporal all answer, else 503 naming the one that did not; with where
 * each one is (host and port, never a login) and the count of stalled commands from the last check.
 */
export function healthRoutes(deps: ApiDeps) {
  const app = new Hono();
  app.get('/health', async (c) => {
    const checks = {
      redis: () => deps.redis.ping().then(() => undefined),
      rabbitmq: deps.checkAmqp,
      temporal: () => deps.gateway.ping(),
    };
    const { failed, checks: status } = await runChecks(checks);
    const stalled = deps.stalled ? { stalled_commands: deps.stalled.latest() ?? null } : {};
    if (failed.length > 0) {
      c.header('Retry-After', '5');
      return c.json({ status: 'unavailable', failed, checks: status, addresses: deps.addresses, ...stalled }, 503);
    }
    return c.json({ status: 'ok', checks: status, addresses: deps.addresses, ...stalled }, 200);
  });
  return app;
}
