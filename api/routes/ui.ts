import { Hono, type Context } from 'hono';
import { ClientKey } from '../../contracts/index.js';
import type { ApiDeps } from '../api-deps.js';
import { ApiError } from '../errors.js';
import { asset, renderShell, uiBundle, type UiAsset } from '../ui/ui-bundle.js';

type UiDeps = Pick<ApiDeps, 'temporalUiUrl' | 'temporalNamespace' | 'logger'> & { files: Pick<ApiDeps['files'], 'maxUploadBytes'> };

/**
 * `GET /ui` (the page shell, CSS inline so the first paint needs one request) and `GET /ui/app.js` (the bundled
 * dashboard). The page's state comes only from the SSE stream; this route serves code, never state.
 */
export function uiRoutes(deps: UiDeps) {
  const app = new Hono();
  const log = deps.logger.child({ module: 'api.ui' });
  let shell: Promise<{ page: UiAsset; csp: string }> | undefined;
  const loadShell = () => {
    shell ??= uiBundle().then((bundle) => ({
      page: asset(renderShell(bundle, { temporalUiUrl: deps.temporalUiUrl ?? null, temporalNamespace: deps.temporalNamespace, maxUploadBytes: deps.files.maxUploadBytes })),
      csp: [
        "default-src 'self'",
        "script-src 'self'",
        `style-src '${bundle.styleHash}'`,
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'none'",
      ].join('; '),
    })).catch((err: unknown) => {
      shell = undefined;
      log.error({ err: (err as Error).message }, 'could not bundle the dashboard');
      throw err;
    });
    return shell;
  };

  const shellPage = async (c: Context) => {
    const { page, csp } = await loadShell();
    c.header('Content-Security-Policy', csp);
    c.header('Referrer-Policy', 'same-origin');
    c.header('X-Content-Type-Options', 'nosniff');
    return send(c, page, 'text/html; charset=utf-8', 'no-cache');
  };
  app.get('/ui', shellPage);
  // The run detail view is the same page: it reads the correlation id from its path and the command from the stream.
  app.get('/ui/commands/:correlation_id', (c) => {
    if (!ClientKey.safeParse(c.req.param('correlation_id')).success) {
      throw new ApiError(404, 'not_found', 'no such page: a correlation id matches [A-Za-z0-9_.:-]{1,128}');
    }
    return shellPage(c);
  });
  app.get('/ui/app.js', async (c) => {
    const { app: js } = await uiBundle();
    // A versioned URL (as the shell writes it) can be cached for good; anything else revalidates by ETag.
    const immutable = c.req.query('v') === js.etag.slice(1, -1);
    return send(c, js, 'text/javascript; charset=utf-8', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
  app.get('/', (c) => c.redirect('/ui'));
  return app;
}

function send(c: Context, file: UiAsset, type: string, cacheControl: string): Response {
  c.header('ETag', file.etag);
  c.header('Cache-Control', cacheControl);
  c.header('Vary', 'Accept-Encoding');
  if (c.req.header('if-none-match') === file.etag) return c.body(null, 304);
  c.header('Content-Type', type);
  if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
    c.header('Content-Encoding', 'gzip');
    return c.body(new Uint8Array(file.gzip));
  }
  return c.body(file.body);
}
