import type { MiddlewareHandler } from 'hono';
import { Tenant } from '../../contracts/index.js';
import { ApiError } from '../errors.js';
import type { ApiEnv } from '../api-env.js';

/**
 * Reads the tenant from `x-org-id` / `x-project-id`. An EventSource cannot set headers (nor can some MCP clients), so
 * routes that serve them also accept `org_id` / `project_id` query parameters. The tenant comes whole from one of
 * the two: any tenant header means the headers, and a query naming another tenant than the headers is a 400, so no
 * request runs in a tenant pieced together from both.
 */
export function tenant({ allowQuery = false } = {}): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const headers = { org_id: c.req.header('x-org-id'), project_id: c.req.header('x-project-id') };
    const query = allowQuery ? { org_id: c.req.query('org_id'), project_id: c.req.query('project_id') } : {};
    const byHeader = headers.org_id !== undefined || headers.project_id !== undefined;
    const byQuery = query.org_id !== undefined || query.project_id !== undefined;
    if (byHeader && byQuery && (query.org_id !== headers.org_id || query.project_id !== headers.project_id)) {
      throw new ApiError(400, 'invalid_tenant', 'the tenant is named twice, differently: send x-org-id and x-project-id, or org_id and project_id, not both', [
        { path: 'org_id', message: 'name the tenant in the headers or in the query, once' },
      ]);
    }
    const raw = byHeader ? headers : query;
    const parsed = Tenant.safeParse(raw);
    if (!parsed.success) {
      const err = ApiError.fromZod(parsed.error, 'invalid_tenant');
      throw new ApiError(400, 'invalid_tenant', `tenant: ${err.message} (send x-org-id and x-project-id)`, err.issues);
    }
    c.set('tenant', parsed.data);
    await next();
  };
}
