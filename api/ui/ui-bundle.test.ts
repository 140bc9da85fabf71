import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { uiRoutes } from '../routes/ui.js';
import { uiBundle } from './ui-bundle.js';

const routes = uiRoutes({ temporalUiUrl: 'http://localhost:8233', temporalNamespace: 'default', logger: pino({ level: 'silent' }), files: { maxUploadBytes: 10_000_000 } });

describe('the shipped dashboard', () => {
  it('is under 100 KB gzip (script and page together) and carries no zod', async () => {
    const bundle = await uiBundle();
    const page = await (await routes.request('/ui')).text();
    const total = bundle.app.gzip.length + gzipSync(page, { level: 9 }).length;
    expect(total).toBeLessThan(100 * 1024);
    expect(bundle.app.body).not.toMatch(/ZodError|\$ZodType/);
  });

  it('serves the shell with the CSS inline, the versioned script, config and a strict CSP', async () => {
    const res = await routes.request('/ui');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('"temporalUiUrl":"http://localhost:8233"');
    expect(html).not.toContain('__');
    expect(html).toMatch(/<script type="module" src="\/ui\/app\.js\?v=[\w-]+"><\/script>/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('names no Temporal UI unless an operator configured one', async () => {
    const unconfigured = uiRoutes({ temporalUiUrl: undefined, temporalNamespace: 'default', logger: pino({ level: 'silent' }), files: { maxUploadBytes: 10_000_000 } });
    expect(await (await unconfigured.request('/ui')).text()).toContain('"temporalUiUrl":null');
  });

  it('serves the script gzipped with an ETag, and answers 304 when it did not change', async () => {
    const first = await routes.request('/ui/app.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-encoding')).toBe('gzip');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await routes.request('/ui/app.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });
});
