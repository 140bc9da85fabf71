import { Hono } from 'hono';
import type { ApiDeps } from '../api-deps.js';
import { buildOpenApi } from '../openapi/build-openapi.js';
import { DOCS_PAGE } from '../openapi/docs-page.js';

/** `GET /openapi.json` (built once, from the zod contracts) and `GET /docs`, a page that renders it. */
export function openApiRoutes(deps: ApiDeps) {
  const app = new Hono();
  const document = buildOpenApi({ maxBodyBytes: deps.limits.maxBodyBytes, maxUploadBytes: deps.files.maxUploadBytes });
  app.get('/openapi.json', (c) => c.json(document));
  app.get('/docs', (c) => c.html(DOCS_PAGE));
  return app;
}
