import { Hono, type Context } from 'hono';
import {
  MAX_STANDING_PER_PROJECT,
  StandingApprovalId,
  StandingApprovalNote,
  StandingApprovalRequest,
  StandingListQuery,
  type RiskPolicy,
  type StandingApprovalList,
  type StandingApprovalView,
  type StandingGrant,
  type Tenant,
} from '../../contracts/index.js';
import { parseDuration } from '../../contracts/duration.js';
import { PolicyError } from '../../infra/files/policy-store.js';
import { approversCounted, policyHold, standingPolicy, standingStatus, type StandingPolicy } from '../../contracts/standing-rules.js';
import type { AuditStandingEntry } from '../../infra/store/audit-log.js';
import type { StoredStanding } from '../../infra/store/standing-approvals.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError } from '../errors.js';
import { clientAddress } from '../middleware/audit.js';
import { DECIDER_ROLES } from '../auth/principal.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { readJson } from '../middleware/json-body.js';
import { askGuessLimit, orgRateLimit } from '../middleware/limits.js';

/** Longer than this is not "standing", it is policy: write a rule instead. */
const MAX_EXPIRES_IN_MS = 366 * 24 * 3600 * 1000;
/** Approvals a standing approval can gather, like an ask's quorum. */
const MAX_APPROVERS = 10;
/** Compare-and-set retries when approvers act on the same standing approval at once. */
const WRITE_ATTEMPTS = 5;

/**
 * Standing approvals: an approver approves ahead of time "this exact action" or "this agent with these params",
 * for a while or until revoked. The policy's quorum and separation of duties apply to making one (it is `pending`
 * until enough other approvers approved it), and again each time it would stand in for people: the worker checks the
 * signed grant, live, before it skips an ask and again where the effect happens. Never under `/approvals/`: these
 * answer when they are done (201/200), nothing is left to a workflow.
 */
export function standingApprovalRoutes(deps: ApiDeps) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.standing_approvals' });
  const { store, seal, policies } = deps.standing;

  app.post('/standing-approvals', requireRole('approver'), orgRateLimit(deps), async (c) => {
    const body = await readJson(c, StandingApprovalRequest, deps.limits.maxBodyBytes);
    const t = c.get('tenant');
    const caller = principalOf(c);
    if (!deps.agents.get(body.agent)) {
      throw new ApiError(400, 'unknown_agent', `no agent ${body.agent}`, [{ path: 'agent', message: 'not an agent of this NEXUS' }]);
    }
    const rules = standingPolicy(await policyOf(t), body.agent);
    if (!rules.allowed) throw new ApiError(403, 'forbidden', 'this project\'s policy does not allow standing approvals (approval.standing_approvals is false)');
    const expiresInMs = body.expires_in === undefined ? undefined : parseDuration(body.expires_in);
    if (expiresInMs !== undefined && (expiresInMs <= 0 || expiresInMs > MAX_EXPIRES_IN_MS)) {
      throw new ApiError(400, 'invalid_request', 'expires_in must be more than 0 and at most 366d', [{ path: 'expires_in', message: 'out of range' }]);
    }
    if (rules.maxTtlMs !== undefined && (expiresInMs === undefined || expiresInMs > rules.maxTtlMs)) {
      throw new ApiError(400, 'invalid_request', `this project's policy lets a standing approval stand at most ${rules.maxTtl ?? ''}; send expires_in within it`, [{ path: 'expires_in', message: 'longer than the policy allows' }]);
    }
    const now = new Date();
    const live = (await stored(() => store.list(t, { prune: true }))).filter((s) => !s.revoked && (s.signed.grant.expires_at ?? '~') > now.toISOString() && seal.verify(s.signed));
    if (live.length >= MAX_STANDING_PER_PROJECT) {
      throw new ApiError(409, 'conflict', `this project has ${MAX_STANDING_PER_PROJECT} standing approvals already; revoke some first`);
    }
    const grant: StandingGrant = {
      ...seal.newGrant(),
      tenant: t,
      agent: body.agent,
      match: body.match,
      reason: body.reason,
      created_by: caller.id,
      created_at: now.toISOString(),
      ...(expiresInMs !== undefined ? { expires_at: new Date(now.getTime() + expiresInMs).toISOString() } : {}),
      approvals: [{ approver: caller.id, roles: DECIDER_ROLES.filter((r) => caller.roles.includes(r)), approved_at: now.toISOString() }],
    };
    const signed = seal.sign(grant);
    await stored(() => store.create(t, signed, now.getTime()));
    const view = viewOf({ signed }, rules, now, 0);
    await audit(c, 'standing_created', view);
    log.info({ correlation_id: c.get('correlationId'), standing_approval_id: view.standing_approval_id, agent: view.agent, status: view.status, created_by: caller.id }, 'standing approval created');
    c.header('Location', `/standing-approvals/${view.standing_approval_id}`);
    return c.json(view, 201);
  });

  app.get('/standing-approvals', requireRole(['viewer', 'operator', 'approver', 'admin'], { allowQuery: true }), async (c) => {
    const query = StandingListQuery.safeParse(c.req.query());
    if (!query.success) throw ApiError.fromZod(query.error, 'invalid_request', 'query');
    const t = c.get('tenant');
    const policy = await policyOf(t);
    // A record whose signature does not hold is not one NEXUS made: not listed.
    const all = (await stored(() => store.list(t, { prune: true }))).filter((s) => seal.verify(s.signed) !== undefined);
    const uses = await stored(() => store.uses(t, all.map((s) => s.signed.grant.standing_approval_id)));
    const now = new Date();
    const views = all.map((s, i) => viewOf(s, standingPolicy(policy, s.signed.grant.agent), now, uses[i] ?? 0));
    const status = query.data.status ?? 'all';
    const answer: StandingApprovalList = { standing_approvals: views.filter((v) => status === 'all' || v.status === status) };
    c.header('Cache-Control', 'no-store');
    return c.json(answer, 200);
  });

  app.get('/standing-approvals/:id', requireRole(['viewer', 'operator', 'approver', 'admin'], { allowQuery: true }), askGuessLimit(deps), async (c) => {
    const { record, rules } = await find(c);
    const [uses] = await stored(() => store.uses(c.get('tenant'), [record.signed.grant.standing_approval_id]));
    c.header('Cache-Control', 'no-store');
    return c.json(viewOf(record, rules, new Date(), uses ?? 0), 200);
  });

  app.post('/standing-approvals/:id/approve', requireRole('approver'), orgRateLimit(deps), askGuessLimit(deps), async (c) => {
    const note = await readNote(c);
    const caller = principalOf(c);
    const view = await change(c, (record, rules, now) => {
      const { grant } = record.signed;
      const status = standingStatus(grant, record.revoked !== undefined, rules, now);
      if (status === 'revoked' || status === 'expired') throw new ApiError(409, 'conflict', `this standing approval is ${status}`);
      if (!rules.allowed) throw new ApiError(403, 'forbidden', 'this project\'s policy does not allow standing approvals (approval.standing_approvals is false)');
      if (grant.approvals.some((a) => a.approver === caller.id)) throw new ApiError(409, 'conflict', `${caller.id} approved this standing approval already`);
      if (rules.separationOfDuties && grant.created_by === caller.id) {
        throw new ApiError(403, 'forbidden', 'separation of duties: who asked for a standing approval may not approve it');
      }
      if (grant.approvals.length >= MAX_APPROVERS) throw new ApiError(409, 'conflict', `a standing approval has at most ${MAX_APPROVERS} approvers`);
      const approvals = [...grant.approvals, { approver: caller.id, roles: DECIDER_ROLES.filter((r) => caller.roles.includes(r)), approved_at: now.toISOString() }];
      return { signed: seal.sign({ ...grant, approvals }) };
    });
    await audit(c, 'standing_approved', view, note.reason);
    log.info({ correlation_id: c.get('correlationId'), standing_approval_id: view.standing_approval_id, approver: caller.id, status: view.status }, 'standing approval approved');
    return c.json(view, 200);
  });

  app.post('/standing-approvals/:id/revoke', requireRole(['approver', 'admin']), orgRateLimit(deps), askGuessLimit(deps), async (c) => {
    const note = await readNote(c);
    const caller = principalOf(c);
    let already = false;
    const view = await change(c, (record, _rules, now) => {
      // Revoking twice is answered like the first time (a retry), and audited once.
      if (record.revoked) {
        already = true;
        return undefined;
      }
      return { signed: record.signed, revoked: { by: caller.id, at: now.toISOString(), ...(note.reason ? { reason: note.reason } : {}) } };
    }, true);
    if (!already) {
      await audit(c, 'standing_revoked', view, note.reason);
      log.info({ correlation_id: c.get('correlationId'), standing_approval_id: view.standing_approval_id, revoked_by: caller.id }, 'standing approval revoked');
    }
    return c.json(view, 200);
  });

  async function policyOf(t: Tenant): Promise<RiskPolicy> {
    try {
      return await policies.forTenant(t);
    } catch (err) {
      if (err instanceof PolicyError) throw new ApiError(503, 'backend_unavailable', `this project's policy file is invalid, so nothing can be approved ahead of time: ${err.message}`, undefined, 30);
      throw err;
    }
  }

  /** `lenient` (revoking): a policy file that does not validate must not keep anyone from taking approval back. */
  async function find(c: Context<ApiEnv>, { lenient = false } = {}): Promise<{ record: StoredStanding; rules: StandingPolicy }> {
    const id = StandingApprovalId.safeParse(c.req.param('id'));
    if (!id.success) throw new ApiError(404, 'not_found', 'no such standing approval');
    const t = c.get('tenant');
    const record = await stored(() => store.read(t, id.data));
    // A record whose signature does not hold is not one NEXUS made: as good as absent.
    if (!record || !seal.verify(record.signed)) throw new ApiError(404, 'not_found', 'no such standing approval');
    const policy = lenient ? await policyOf(t).catch((): RiskPolicy => ({ rules: [] })) : await policyOf(t);
    return { record, rules: standingPolicy(policy, record.signed.grant.agent) };
  }

  /** Reads, changes and writes one record over exactly what was read, again if another change came first. */
  async function change(
    c: Context<ApiEnv>,
    next: (record: StoredStanding, rules: StandingPolicy, now: Date) => Parameters<typeof store.replace>[2] | undefined,
    lenient = false,
  ): Promise<StandingApprovalView> {
    const t = c.get('tenant');
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const { record, rules } = await find(c, { lenient });
      const now = new Date();
      const changed = next(record, rules, now);
      const [uses] = await stored(() => store.uses(t, [record.signed.grant.standing_approval_id]));
      if (!changed) return viewOf(record, rules, now, uses ?? 0);
      if (await stored(() => store.replace(t, record, changed))) return viewOf(changed, rules, now, uses ?? 0);
    }
    throw new ApiError(409, 'conflict', 'this standing approval is changing under many hands at once; try again', undefined, 1);
  }

  async function audit(c: Context<ApiEnv>, event: AuditStandingEntry['event'], view: StandingApprovalView, reason?: string): Promise<void> {
    const caller = principalOf(c);
    const why = reason ?? (event === 'standing_created' ? view.reason : undefined);
    await deps.audit.append(view.tenant.org_id, {
      event,
      principal: caller.id,
      principal_kind: caller.kind,
      client_ip: clientAddress(c),
      standing_approval_id: view.standing_approval_id,
      agent: view.agent,
      project_id: view.tenant.project_id,
      match: 'action_digest' in view.match ? `action_digest:${view.match.action_digest}` : `params:${Object.keys(view.match.params).join(',')}`,
      status: view.status,
      ...(view.expires_at ? { expires_at: view.expires_at } : {}),
      ...(why ? { reason: why } : {}),
    });
  }

  return app;
}

function viewOf(record: Pick<StoredStanding, 'signed' | 'revoked'>, rules: StandingPolicy, now: Date, uses: number): StandingApprovalView {
  const { grant } = record.signed;
  const status = standingStatus(grant, record.revoked !== undefined, rules, now);
  const held = policyHold(grant, rules);
  return {
    standing_approval_id: grant.standing_approval_id,
    tenant: grant.tenant,
    agent: grant.agent,
    match: grant.match,
    reason: grant.reason,
    created_by: grant.created_by,
    created_at: grant.created_at,
    expires_at: grant.expires_at ?? null,
    approvals: grant.approvals,
    approvals_counted: approversCounted(grant, rules).length,
    quorum: rules.quorum,
    status,
    ...(held && (status === 'active' || status === 'pending') ? { held_by_policy: held } : {}),
    ...(record.revoked ? { revoked_by: record.revoked.by, revoked_at: record.revoked.at, ...(record.revoked.reason ? { revoke_reason: record.revoked.reason } : {}) } : {}),
    uses,
  };
}

/** A Redis fault is a 503 the caller may retry; nothing was written, or the write is repeated whole. */
async function stored<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch {
    throw ApiError.unavailable('Redis');
  }
}

/** An optional JSON body `{reason}`; no body at all is fine (`curl -X POST`). */
async function readNote(c: Context<ApiEnv>): Promise<StandingApprovalNote> {
  const length = c.req.header('content-length');
  const type = c.req.header('content-type');
  if (type === undefined && (length === undefined || length === '0')) return {};
  return readJson(c, StandingApprovalNote, 4096);
}
