import { Hono } from 'hono';
import type { ApiDeps } from '../api-deps.js';

/** `GET /agents`: the catalog (reference data, never command state), params as JSON Schema from the zod schemas. */
export function agentRoutes(deps: ApiDeps) {
  const app = new Hono();
  const catalog = deps.agents.catalog();
  app.get('/agents', (c) => c.json({ agents: catalog }));
  return app;
}
