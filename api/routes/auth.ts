import { Hono } from 'hono';
import { sha256 } from '../auth/token-store.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { bearerToken, requireRole } from '../middleware/auth.js';
import { orgRateLimit } from '../middleware/limits.js';

/**
 * `POST /auth/stream-ticket`: trades the caller's token (any role that may read the tenant's stream) for a
 * short-lived ticket that only opens that tenant's stream, for an EventSource's `?ticket=`. A ticket cannot mint
 * another ticket: tickets are read only on the stream route. The answer is 201 (a resource was created).
 */
export function authRoutes(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  app.post('/auth/stream-ticket', requireRole(['viewer', 'operator', 'approver']), orgRateLimit(deps), async (c) => {
    const principal = c.get('principal');
    const token = principal.kind === 'token' ? bearerToken(c) : undefined;
    const issued = await deps.auth.tickets.issue(principal, c.get('tenant'), token ? sha256(token) : undefined).catch(() => {
      throw ApiError.unavailable('Redis');
    });
    c.header('Cache-Control', 'no-store');
    return c.json(issued, 201);
  });
  return app;
}
