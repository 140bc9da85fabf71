import type { MiddlewareHandler } from 'hono';
import type { AuditEntry, AuditLog } from '../../audit/audit-log.js';
import { TenantId } from '../../contracts/index.js';
import type { ApiEnv } from '../api-env.js';

const TENANT_ROUTE = /^\/(sidecar\/command|approvals\/|files(\/|$)|agent\/reports\/stream|auth\/)/;
const DECISION = /^\/approvals\/[^/]+\/decide$/;

/**
 * The one place that feeds the audit log, so no route can forget it: every accepted command, every decision
 * attempt and every refused request on a tenant route. The entry goes to the org the request named (the one
 * being acted on) and, when it differs, to the principal's own org.
 */
export function auditTrail(audit: AuditLog): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    await next();
    const path = c.req.path;
    if (!TENANT_ROUTE.test(path)) return;
    const status = c.res.status;
    const event: AuditEntry['event'] | undefined =
      DECISION.test(path) && c.req.method === 'POST' ? 'decision'
        : path === '/sidecar/command' && status === 202 ? 'command'
          : status >= 400 && status < 500 ? 'refused' : undefined;
    if (!event) return;
    const principal = c.get('principal') as ApiEnv['Variables']['principal'] | undefined;
    const tenant = c.get('tenant') as ApiEnv['Variables']['tenant'] | undefined;
    // Without a principal the org is only what the caller claims: an anonymous caller must not be able to create
    // or fill any org's audit stream, so those refusals go to `_unknown`.
    const named = principal ? tenant?.org_id ?? TenantId.safeParse(c.req.header('x-org-id') ?? c.req.query('org_id')).data : undefined;
    const orgs = [...new Set([named, principal?.org_id].filter((o): o is string => o !== undefined))];
    if (orgs.length === 0) orgs.push('_unknown');
    const entry: AuditEntry = {
      event,
      principal: principal?.id ?? 'anonymous',
      principal_kind: principal?.kind ?? 'none',
      method: c.req.method,
      path,
      status,
      code: c.get('errorCode'),
      correlation_id: c.get('correlationId'),
      project_id: tenant?.project_id,
    };
    await Promise.all(orgs.map((org) => audit.append(org, entry)));
  };
}
