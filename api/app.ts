import { Hono } from 'hono';
import type { ApiDeps } from './api-deps.js';
import type { ApiEnv } from './api-env.js';
import { ApiError, createErrorHandler, errorResponse } from './errors.js';
import { auditTrail } from './middleware/audit.js';
import { authenticate } from './middleware/auth.js';
import { requestTimeout } from './middleware/limits.js';
import { agentRoutes } from './routes/agents.js';
import { approvalRoutes } from './routes/approvals.js';
import { authRoutes } from './routes/auth.js';
import { commandRoutes } from './routes/commands.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { openApiRoutes } from './routes/openapi.js';
import { streamRoutes } from './routes/stream.js';
import { uiRoutes } from './routes/ui.js';

/** The whole HTTP surface; tests call `app.request(...)` or serve it on a random port. */
export function createApp(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  app.onError(createErrorHandler(deps.logger.child({ module: 'api' })));
  app.notFound((c) => errorResponse(c, new ApiError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)));
  // Order matters: the audit trail sees the final status of everything below it, the principal is known before
  // any route runs, and only non-stream tenant routes get a deadline (a stream is meant to stay open).
  app.use('*', auditTrail(deps.audit));
  app.use('*', authenticate(deps.auth));
  const deadline = requestTimeout(deps.limits.requestTimeoutMs);
  for (const path of ['/sidecar/command', '/approvals/*', '/files', '/files/*', '/auth/*']) app.use(path, deadline);
  app.route('/', healthRoutes(deps));
  app.route('/', agentRoutes(deps));
  app.route('/', commandRoutes(deps));
  app.route('/', approvalRoutes(deps));
  app.route('/', authRoutes(deps));
  app.route('/', fileRoutes(deps));
  app.route('/', streamRoutes(deps));
  app.route('/', uiRoutes(deps));
  app.route('/', openApiRoutes(deps));
  return app;
}
