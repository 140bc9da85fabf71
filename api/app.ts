import { Hono } from 'hono';
import type { RefusalBudget } from '../infra/store/refusal-budget.js';
import type { ApiDeps } from './api-deps.js';
import type { ApiEnv } from './api-env.js';
import { ApiError, createErrorHandler, errorResponse } from './errors.js';
import { auditTrail } from './middleware/audit.js';
import { authenticate } from './middleware/auth.js';
import { refusalGate, requestTimeout } from './middleware/limits.js';
import { agentRoutes } from './routes/agents.js';
import { approvalRoutes } from './routes/approvals.js';
import { approvalLinkRoutes } from './routes/approval-links.js';
import { standingApprovalRoutes } from './routes/standing-approvals.js';
import { authRoutes } from './routes/auth.js';
import { commandRoutes } from './routes/commands.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { httpMetrics } from './middleware/http-metrics.js';
import { httpTracing } from './middleware/http-tracing.js';
import { openApiRoutes } from './routes/openapi.js';
import { streamRoutes } from './routes/stream.js';
import { uiRoutes } from './routes/ui.js';
import { codecRoutes } from './routes/codec.js';
import { mcpRoutes } from './routes/mcp.js';

/**
 * The whole HTTP surface; tests call `app.request(...)` or serve it on a random port. `refusals` is the refusal
 * budget (`NEXUS_REFUSAL_LIMIT_PER_MIN`), shared by the audit trail that counts and the gate that answers 429.
 */
export function createApp(deps: ApiDeps, refusals: RefusalBudget) {
  const app = new Hono<ApiEnv>();
  app.onError(createErrorHandler(deps.logger.child({ module: 'api' })));
  app.notFound((c) => errorResponse(c, new ApiError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)));
  // Order matters: the audit trail sees the final status of everything below it, the principal is known before
  // any route runs, and only non-stream tenant routes get a deadline (a stream is meant to stay open).
  app.use('*', httpTracing());
  app.use('*', httpMetrics(deps.metrics));
  app.use('*', auditTrail(deps.audit, refusals));
  app.use('*', authenticate(deps.auth));
  app.use('*', refusalGate(refusals));
  const deadline = requestTimeout(deps.limits.requestTimeoutMs);
  for (const path of ['/sidecar/command', '/commands/*', '/approvals/*', '/approve/*', '/standing-approvals', '/standing-approvals/*', '/files', '/files/*', '/auth/*', '/agents/*']) app.use(path, deadline);
  app.route('/', healthRoutes(deps));
  app.route('/', metricsRoutes(deps));
  app.route('/', agentRoutes(deps));
  app.route('/', commandRoutes(deps));
  app.route('/', approvalRoutes(deps, refusals));
  app.route('/', approvalLinkRoutes(deps, refusals));
  app.route('/', standingApprovalRoutes(deps));
  app.route('/', authRoutes(deps));
  app.route('/', fileRoutes(deps));
  app.route('/', streamRoutes(deps));
  app.route('/', uiRoutes(deps));
  app.route('/', openApiRoutes(deps));
  app.route('/', codecRoutes(deps));
  app.route('/', mcpRoutes(deps, refusals));
  return app;
}
