import type { MiddlewareHandler } from 'hono';
import type { RefusalBudget } from '../../infra/store/refusal-budget.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { withDeadline } from '../../infra/deadline.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { WindowCounter } from '../../infra/store/window-counter.js';
import { ApiError } from '../errors.js';
import { isTenantRoute, refusalSubject } from './audit.js';


/** A 429 whose `Retry-After` is the rest of the window (`leftMs`), at least a second. */
export function limited(what: string, leftMs: number): ApiError {
  return new ApiError(429, 'rate_limited', `${what}; try again later`, undefined, Math.max(1, Math.ceil(leftMs / 1000)));
}

/**
 * Per-org limit on writes (after `requireRole`, so only an org's own principals spend its budget in tokens mode).
 * A Redis fault lets the request through: the limit protects the backends, it is not the security boundary.
 */
export function orgRateLimit(deps: Pick<ApiDeps, 'redis' | 'limits' | 'auth'>): MiddlewareHandler<ApiEnv> {
  const writes = orgWrites(deps);
  return async (c, next) => {
    if (c.req.method === 'POST') await writes.spend(c.get('tenant').org_id, 1);
    await next();
  };
}

/**
 * An org's writes this minute: `spend` counts `n` of them (a batch counts each of its decisions) and throws the 429
 * once the org is past `NEXUS_RATE_LIMIT_PER_MIN`.
 */
export function orgWrites(deps: Pick<ApiDeps, 'redis' | 'limits' | 'auth'>) {
  const keys = new RedisKeys(deps.auth.prefix);
  const counter = new WindowCounter(deps.redis);
  return {
    async spend(org: string, n: number): Promise<void> {
      const max = deps.limits.ratePerMin;
      if (max === 0 || n <= 0) return;
      const window = counter.windowAt();
      const count = await counter.hit(keys.orgPosts(org), window, n).catch(() => undefined);
      if (count !== undefined && count > max) throw limited(`org ${org} sent more than ${max} requests this minute (NEXUS_RATE_LIMIT_PER_MIN)`, counter.endOf(window) - Date.now());
    },
  };
}

/**
 * "Guessing ask ids → 404 and rate limited": every 404 a principal gets on an approval counts; past the limit
 * in a minute every decision of that principal is a 429 until the window ends.
 */
export function askGuessLimit(deps: Pick<ApiDeps, 'redis' | 'limits' | 'auth'>): MiddlewareHandler<ApiEnv> {
  const misses = askMisses(deps);
  return async (c, next) => {
    if (deps.limits.askMissesPerMin === 0) return next();
    const principal = c.get('principal').id;
    await misses.check(principal);
    try {
      await next();
    } finally {
      if (c.res.status === 404) await misses.hit(principal);
    }
  };
}

/** The unknown-ask count of a principal: `check` throws the 429 once it is spent, `hit` counts one more miss. */
export function askMisses(deps: Pick<ApiDeps, 'redis' | 'limits' | 'auth'>) {
  const keys = new RedisKeys(deps.auth.prefix);
  const counter = new WindowCounter(deps.redis);
  return {
    async check(principalId: string): Promise<void> {
      const max = deps.limits.askMissesPerMin;
      if (max === 0) return;
      const window = counter.windowAt();
      const seen = await counter.peek(keys.askMisses(principalId), window).catch(() => 0);
      if (seen >= max) throw limited(`too many unknown ask ids this minute`, counter.endOf(window) - Date.now());
    },
    async hit(principalId: string): Promise<void> {
      if (deps.limits.askMissesPerMin === 0) return;
      await counter.hit(keys.askMisses(principalId)).catch(() => undefined);
    },
  };
}

/**
 * A caller (principal, or peer address without one) that used its refusal budget this window is answered 429 on
 * every tenant route until the window ends, before any route runs: a flood of refused requests then costs one
 * Redis read each. Counting happens in `auditTrail`, which sees every final status (this 429 included).
 */
export function refusalGate(budget: RefusalBudget): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (budget.limit > 0 && isTenantRoute(c.req.path)) {
      const leftMs = await budget.exhausted(refusalSubject(c));
      if (leftMs !== undefined) throw limited(`more than ${budget.limit} refused requests this minute (NEXUS_REFUSAL_LIMIT_PER_MIN)`, leftMs);
    }
    await next();
  };
}

/**
 * Non-stream tenant routes get a deadline: past it the client gets a 503 with `Retry-After` (commands and
 * decisions are idempotent, so retrying is safe) instead of a connection that hangs.
 */
export function requestTimeout(ms: number): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const running = next();
    // The handler may still fail after the deadline answered; that late failure has no one left to hear it.
    running.catch(() => undefined);
    await withDeadline(running, ms, () => new ApiError(503, 'backend_unavailable', `no answer within ${ms} ms; try again shortly`, undefined, 5));
  };
}
