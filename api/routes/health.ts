import { Hono } from 'hono';
import { withDeadline } from '../../infra/deadline.js';
import type { ApiDeps } from '../api-deps.js';

const CHECK_TIMEOUT_MS = 2_000;

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
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await probe(check)] as const),
    );
    const status = Object.fromEntries(results);
    const failed = results.filter(([, r]) => r !== 'ok').map(([name]) => name);
    const stalled = deps.stalled ? { stalled_commands: deps.stalled.latest() ?? null } : {};
    if (failed.length > 0) {
      c.header('Retry-After', '5');
      return c.json({ status: 'unavailable', failed, checks: status, addresses: deps.addresses, ...stalled }, 503);
    }
    return c.json({ status: 'ok', checks: status, addresses: deps.addresses, ...stalled }, 200);
  });
  return app;
}

async function probe(check: () => Promise<void>): Promise<string> {
  try {
    await withDeadline(check(), CHECK_TIMEOUT_MS);
    return 'ok';
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}
