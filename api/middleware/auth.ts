import type { Context, MiddlewareHandler } from 'hono';
import { ALL_ROLES, permits, type Principal, type Role } from '../auth/principal.js';
import { ClientKey } from '../../contracts/index.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { tenant } from './tenant.js';
import { isLoopback } from '../../contracts/loopback.js';

const STREAM_PATH = '/agent/reports/stream';
/** Credentials could not be checked (Redis down): a 503 on tenant routes, nothing on public ones like /health. */
const UNAVAILABLE = 'unavailable' as const;

/** The Bearer token of the request, if any. Never logged: pino redacts `authorization`, and nothing logs headers. */
export function bearerToken(c: Context): string | undefined {
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(c.req.header('authorization') ?? '');
  return match?.[1];
}

/**
 * Sets the principal before any route runs; refuses nothing itself (public routes stay public). Local mode: the
 * `x-user-id` header (or `local`) with every role in every tenant. Tokens mode: the Bearer token, or on the
 * stream a `?ticket=`; bad credentials are remembered for `requireRole`'s 401.
 */
export function authenticate(auth: ApiDeps['auth']): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const ticket = c.req.path === STREAM_PATH ? c.req.query('ticket') : undefined;
    const token = bearerToken(c);
    if (ticket !== undefined) {
      const p = await auth.tickets.redeem(ticket).catch(() => UNAVAILABLE);
      if (p === UNAVAILABLE) c.set('authProblem', UNAVAILABLE);
      else if (p && (auth.mode === 'local' || p.kind === 'token')) c.set('principal', p);
      else c.set('authProblem', 'the stream ticket is unknown or expired; get a new one from POST /auth/stream-ticket');
    } else if (auth.mode === 'local') {
      // Local mode trusts headers because only this machine can reach it; a page whose name was rebound to
      // 127.0.0.1 could too, so the Host must be a loopback name.
      // A request without a Host header (HTTP/1.0 from this machine) is accepted like one naming localhost.
      const host = hostnameOf(c.req.header('host'));
      if (host !== '' && !isLoopback(host)) {
        throw new ApiError(403, 'forbidden', 'local mode answers only requests addressed to localhost / 127.0.0.1');
      }
      const user = ClientKey.safeParse(c.req.header('x-user-id'));
      c.set('principal', { id: user.success ? user.data : 'local', kind: 'local', projects: '*', roles: ALL_ROLES });
    } else if (token !== undefined) {
      const p = await auth.tokens.authenticate(token).catch(() => UNAVAILABLE);
      if (p === UNAVAILABLE) c.set('authProblem', UNAVAILABLE);
      else if (p) c.set('principal', p);
      else c.set('authProblem', 'the token is unknown or revoked');
    } else if (c.req.header('authorization') !== undefined) {
      c.set('authProblem', 'send the token as "Authorization: Bearer <token>"');
    }
    await next();
  };
}

/**
 * The caller of a route behind `requireRole`, which has already refused requests without one. In local mode the
 * principal comes from `x-user-id` (or `local`), so routes never read that header themselves.
 */
export function principalOf(c: Context<ApiEnv>): Principal {
  const principal = c.get('principal');
  if (!principal) throw new ApiError(401, 'unauthorized', 'send an API token as "Authorization: Bearer <token>"');
  return principal;
}

function hostnameOf(host: string | undefined): string {
  if (!host) return '';
  const bracketed = /^(\[[^\]]*\])/.exec(host);
  return (bracketed?.[1] ?? host.split(':')[0] ?? '').toLowerCase();
}

/**
 * A tenant route's gate: 401 without a principal, 400 for a bad tenant, 403 when the principal's org, projects or
 * roles do not cover this tenant. Viewers and everyone who acts in a tenant may read its stream.
 */
export function requireRole(role: Role | Role[], { allowQuery = false } = {}): MiddlewareHandler<ApiEnv> {
  const roles = Array.isArray(role) ? role : [role];
  const readTenant = tenant({ allowQuery });
  return async (c, next) => {
    const principal = c.get('principal') as ApiEnv['Variables']['principal'] | undefined;
    if (!principal) {
      if (c.get('authProblem') === UNAVAILABLE) throw ApiError.unavailable('Redis');
      c.header('WWW-Authenticate', 'Bearer realm="nexus"');
      throw new ApiError(401, 'unauthorized', c.get('authProblem') ?? 'send an API token as "Authorization: Bearer <token>"');
    }
    await readTenant(c, async () => {
      const t = c.get('tenant');
      const refusals = roles.map((r) => permits(principal, r, t));
      if (refusals.every((r) => r !== undefined)) throw new ApiError(403, 'forbidden', refusals[0] ?? 'forbidden');
      await next();
    });
  };
}
