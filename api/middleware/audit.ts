import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { SECURITY_LOG, type AuditLog, type AuditRequestEntry } from '../../infra/store/audit-log.js';
import type { RefusalBudget, RefusalSubject } from '../../infra/store/refusal-budget.js';
import { TenantId } from '../../contracts/index.js';
import type { ApiEnv } from '../api-env.js';

const TENANT_ROUTE = /^\/(sidecar\/command|commands\/|approvals\/|standing-approvals(\/|$)|files(\/|$)|agent\/reports\/stream|auth\/|mcp$)/;
const DECISION = /^\/approvals\/[^/]+\/decide$/;
const CANCEL = /^\/commands\/[^/]+\/cancel$/;
const RERUN = /^\/commands\/[^/]+\/rerun$/;

/** The routes that act in a tenant: audited, and guarded by the refusal budget. */
export function isTenantRoute(path: string): boolean {
  return TENANT_ROUTE.test(path);
}

/**
 * Who is refused, and which log their refusals belong to. A token's refusals go to the token's own org, whatever
 * org the request named: naming an org proves nothing, and writing there would let any token push another org's
 * history out of its trimmed log. Local mode trusts the headers, so its principal acts in the org it names.
 * Without a principal there is only the peer address, and the entries go to the security log.
 */
export function refusalSubject(c: Context<ApiEnv>): RefusalSubject {
  const principal = c.get('principal') as ApiEnv['Variables']['principal'] | undefined;
  if (!principal) return anonymousSubject(c);
  const clientIp = clientAddress(c);
  const org = principal.org_id ?? (principal.kind === 'local' ? namedOrg(c) : undefined) ?? SECURITY_LOG;
  return { key: `p:${principal.kind}:${principal.id}`, org, principal: principal.id, principal_kind: principal.kind, client_ip: clientIp };
}

/** A caller known only by its peer address (no principal, or one a route does not go by): the security log's. */
export function anonymousSubject(c: Context): RefusalSubject {
  const clientIp = clientAddress(c);
  return { key: `ip:${clientIp}`, org: SECURITY_LOG, principal: 'anonymous', principal_kind: 'none', client_ip: clientIp };
}

/**
 * The one place that feeds the audit log, so no route can forget it: every accepted command, every decision
 * attempt and every refused request on a tenant route, in the caller's own log (see `refusalSubject`). Refusals
 * (any 4xx) spend the caller's refusal budget; past it they are counted instead of written.
 */
export function auditTrail(audit: AuditLog, budget: RefusalBudget): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    await next();
    const path = c.req.path;
    if (!isTenantRoute(path) || c.get('audited')) return;
    const status = c.res.status;
    const event: AuditRequestEntry['event'] | undefined =
      DECISION.test(path) && c.req.method === 'POST' ? 'decision'
        : CANCEL.test(path) && c.req.method === 'POST' ? 'cancel'
        : RERUN.test(path) && c.req.method === 'POST' ? 'rerun'
        : path === '/sidecar/command' && status === 202 ? 'command'
          : status >= 400 && status < 500 ? 'refused' : undefined;
    if (!event) return;
    await recordRequest(audit, budget, c, { event, status, code: c.get('errorCode'), correlation_id: c.get('correlationId') });
  };
}

/** What one audited act says beyond who sent it: the act, its status, and for an MCP tool call the tool. */
export type RecordedAct = Pick<AuditRequestEntry, 'event' | 'status' | 'code' | 'correlation_id' | 'tool' | 'ask_id'>;

/**
 * Writes one act of a request into its caller's audit log; a refusal spends the caller's refusal budget first. The
 * middleware writes one per request; an MCP request, which carries tool calls inside a 200, writes one per call.
 */
export async function recordRequest(audit: AuditLog, budget: RefusalBudget, c: Context<ApiEnv>, act: RecordedAct): Promise<void> {
  const subject = refusalSubject(c);
  const named = namedOrg(c);
  const entry: AuditRequestEntry = {
    ...act,
    principal: subject.principal,
    principal_kind: subject.principal_kind,
    client_ip: subject.client_ip,
    method: c.req.method,
    path: c.req.path,
    project_id: (c.get('tenant') as ApiEnv['Variables']['tenant'] | undefined)?.project_id,
    target_org: named !== subject.org ? named : undefined,
  };
  if (act.status >= 400 && act.status < 500 && (await budget.spend(subject)) === 'skip') return;
  await audit.append(subject.org, entry);
}

/** The org the request named (checked tenant, else a well-formed header or query value), if any. */
function namedOrg(c: Context<ApiEnv>): string | undefined {
  const tenant = c.get('tenant') as ApiEnv['Variables']['tenant'] | undefined;
  return tenant?.org_id ?? TenantId.safeParse(c.req.header('x-org-id') ?? c.req.query('org_id')).data;
}

/** The peer address; an IPv6 caller is its /64, because one subscriber holds a whole /64 to rotate through. */
export function clientAddress(c: Context): string {
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    // In-process requests (`app.request`) have no socket.
    address = undefined;
  }
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!address.includes(':')) return address;
  const [head = '', tail] = (address.split('%')[0] ?? '').split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const groups = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}
