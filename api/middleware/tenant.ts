import type { MiddlewareHandler } from 'hono';
import { Tenant } from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import type { ApiEnv } from '../api-env.js';

/**
 * Reads the tenant from `x-org-id` / `x-project-id`. An EventSource cannot set headers, so routes that serve
 * browsers' streams also accept `org_id` / `project_id` query parameters.
 */
export function tenant({ allowQuery = false } = {}): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const raw = {
      org_id: c.req.header('x-org-id') ?? (allowQuery ? c.req.query('org_id') : undefined),
      project_id: c.req.header('x-project-id') ?? (allowQuery ? c.req.query('project_id') : undefined),
    };
    const parsed = Tenant.safeParse(raw);
    if (!parsed.success) {
      const err = ApiError.fromZod(parsed.error, 'invalid_tenant');
      throw new ApiError(400, 'invalid_tenant', `tenant: ${err.message} (send x-org-id and x-project-id)`, err.issues);
    }
    c.set('tenant', parsed.data);
    await next();
  };
}
