import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';

/**
 * The template of the route that answered (`/approvals/:ask_id/decide`), so ids never become label values or span
 * names; `unmatched` when none did (a scan of random paths cannot grow a series). Read after `next()`.
 */
export function routeTemplate(c: Context): string {
  // Middlewares are registered for ALL methods; the handler that answered is the last route with a method.
  return matchedRoutes(c).filter((r) => r.method !== 'ALL').at(-1)?.path ?? 'unmatched';
}
