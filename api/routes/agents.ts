import { Hono } from 'hono';
import type { ApiDeps } from '../api-deps.js';

/**
 * `GET /agents`: the catalog (reference data, never command state), params as JSON Schema from the zod schemas.
 * Built per request: remote agents come and go with their announcements.
 */
export function agentRoutes(deps: ApiDeps) {
  const app = new Hono();
  app.get('/agents', (c) => c.json({ agents: deps.agents.catalog() }));
  return app;
}
