import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { ApiDeps } from '../api-deps.js';

const PAGE = readFileSync(new URL('../ui/index.html', import.meta.url), 'utf8');

/** `GET /ui`: the dashboard, driven only by the SSE stream. */
export function uiRoutes(deps: ApiDeps) {
  const app = new Hono();
  const page = PAGE.replace('__TEMPORAL_UI__', deps.temporalUiUrl).replace('__TEMPORAL_NAMESPACE__', deps.temporalNamespace);
  app.get('/ui', (c) => c.html(page));
  app.get('/', (c) => c.redirect('/ui'));
  return app;
}
