import { Hono, type Context } from 'hono';
import {
  AskId,
  ApprovalLinksRequest,
  ApprovalLinkToken,
  LinkDecisionRequest,
  type ApprovalLinkRecord,
  type ApprovalLinksIssued,
  type DecideAccepted,
  type Tenant,
} from '../../contracts/index.js';
import { AUDITED_OPENS_PER_LINK } from '../../infra/store/approval-links.js';
import { askCreatedOf } from '../../infra/store/ask-index.js';
import { SECURITY_LOG, type AuditLinkEntry } from '../../infra/store/audit-log.js';
import type { RefusalBudget } from '../../infra/store/refusal-budget.js';
import { LinkSeal } from '../../infra/trust/link-seal.js';
import { decideAsk } from '../approvals/decide-ask.js';
import { askPage, LINK_PAGE_HEADERS, linkLocale, refusalPage, sentPage, type AskShown } from '../approvals/link-page.js';
import { DECIDER_ROLES, permits, type Principal, type Role } from '../auth/principal.js';
import { toPrincipal, type TokenRecord } from '../auth/token-store.js';
import type { ApiDeps } from '../api-deps.js';
import type { ApiEnv } from '../api-env.js';
import { ApiError, errorResponse, markRefusal } from '../errors.js';
import { anonymousSubject, clientAddress } from '../middleware/audit.js';
import { principalOf, requireRole } from '../middleware/auth.js';
import { readJson, readLimited } from '../middleware/json-body.js';
import { askGuessLimit, limited, orgRateLimit } from '../middleware/limits.js';

/** A link NEXUS signed and still keeps, with the ask it shows and the roles its approver decides with now. */
interface OpenLink {
  record: ApprovalLinkRecord;
  ask: AskShown;
  roles: string[];
}

/**
 * Approval links: `POST /approvals/{ask_id}/links` makes single-use links for named approvers; `GET /approve/{link}`
 * shows the ask to whoever holds one (no login: the link is the credential) and decides nothing;
 * `POST /approve/{link}` is the approver's confirmation and goes through the same decision path as
 * `POST /approvals/{ask_id}/decide`, as the approver the link was signed for, with the digest it was signed with.
 */
export function approvalLinkRoutes(deps: ApiDeps, refusals: RefusalBudget) {
  const app = new Hono<ApiEnv>();
  const log = deps.logger.child({ module: 'api.approval_links' });
  const { store, seal, publicUrl } = deps.links;

  app.post('/approvals/:ask_id/links', requireRole(['approver', 'admin']), orgRateLimit(deps), askGuessLimit(deps), async (c) => {
    const askId = AskId.safeParse(c.req.param('ask_id'));
    if (!askId.success) throw new ApiError(404, 'not_found', 'no such ask');
    const body = await readJson(c, ApprovalLinksRequest, deps.limits.maxBodyBytes);
    const t = c.get('tenant');
    const caller = principalOf(c);
    const approvers = [...new Set(body.approvers ?? [caller.id])];
    if (!caller.roles.includes('admin') && approvers.some((a) => a !== caller.id)) {
      throw new ApiError(403, 'forbidden', 'only an admin may make links for other approvers; an approver may make links for themselves');
    }
    const ask = await deps.askIndex.view(t, askId.data).catch(() => {
      throw ApiError.unavailable('Redis');
    });
    if (!ask) throw new ApiError(404, 'not_found', 'no such ask');
    c.set('correlationId', ask.correlationId || undefined);
    const now = new Date();
    if (ask.status !== 'pending' || ask.expiresAt <= now.toISOString()) {
      throw new ApiError(409, 'ask_not_pending', 'this ask can no longer be decided, so it gets no links');
    }
    const roles = await approverRoles(deps, caller, t, approvers);
    const records: ApprovalLinkRecord[] = approvers.map((approver, i) => ({
      ...seal.newLink(),
      tenant: t,
      ask_id: askId.data,
      action_digest: ask.actionDigest,
      approver,
      roles: roles[i] ?? [],
      approver_kind: deps.auth.mode === 'tokens' ? 'token' : 'local',
      issued_by: caller.id,
      issued_at: now.toISOString(),
      expires_at: ask.expiresAt,
    }));
    await store.save(records).catch(() => {
      throw ApiError.unavailable('Redis');
    });
    for (const r of records) {
      await deps.audit.append(t.org_id, {
        event: 'link_issued', principal: caller.id, principal_kind: caller.kind, client_ip: clientAddress(c), link_id: r.link_id,
        ask_id: r.ask_id, approver: r.approver, project_id: t.project_id, correlation_id: ask.correlationId,
      });
    }
    log.info({ correlation_id: ask.correlationId, ask_id: askId.data, approvers, issued_by: caller.id }, 'approval links issued');
    const answer: ApprovalLinksIssued = {
      ask_id: askId.data,
      action_digest: ask.actionDigest,
      links: records.map((r) => {
        const path = `/approve/${seal.sign(r)}`;
        return { approver: r.approver, roles: r.roles, url: `${publicUrl}${path}`, path, expires_at: r.expires_at };
      }),
    };
    c.header('Cache-Control', 'no-store');
    return c.json(answer, 201);
  });

  /** Whoever guesses or replays links is answered 429 once their refusals of the minute are spent. */
  app.use('/approve/*', async (c, next) => {
    const leftMs = refusals.limit > 0 ? await refusals.exhausted(anonymousSubject(c)) : undefined;
    if (leftMs !== undefined) {
      return answerRefusal(c, limited(`more than ${refusals.limit} refused requests this minute`, leftMs));
    }
    await next();
  });

  app.get('/approve/:link', async (c) => {
    let opened: OpenLink;
    try {
      opened = await openLink(c);
    } catch (err) {
      return refuse(c, err, undefined, 'link_refused');
    }
    // A Redis fault while counting must not hide an opening: it is audited as if among the first.
    const opens = await store.countOpen(opened.record.link_id).catch(() => 1);
    if (opens <= AUDITED_OPENS_PER_LINK) await audit(c, opened.record, { event: 'link_opened', status: 200 });
    else if (opens === AUDITED_OPENS_PER_LINK + 1) await audit(c, opened.record, { event: 'link_opened', status: 200, code: 'opens_limited' });
    if (wantsJson(c)) {
      const { record, ask, roles } = opened;
      return c.json({ ask_id: record.ask_id, approver: record.approver, roles, expires_at: record.expires_at, action_digest: record.action_digest, ask }, 200, LINK_PAGE_HEADERS);
    }
    return c.html(askPage(linkLocale(c.req.header('accept-language')), opened.record, opened.ask), 200, LINK_PAGE_HEADERS);
  });

  app.post('/approve/:link', async (c) => {
    let opened: OpenLink;
    try {
      opened = await openLink(c);
    } catch (err) {
      return refuse(c, err, undefined, 'link_refused');
    }
    const { record, roles } = opened;
    let decision: LinkDecisionRequest | undefined;
    let accepted: DecideAccepted;
    try {
      decision = await readDecision(c, deps.limits.maxBodyBytes);
      const claim = await store.claim(record.link_id).catch(() => {
        throw ApiError.unavailable('Redis');
      });
      if (claim === 'used') throw new ApiError(410, 'link_used', 'this link was used already: each link decides once');
      if (claim === 'gone') throw new ApiError(410, 'link_expired', 'this link has expired');
      if (claim === 'busy') throw new ApiError(409, 'conflict', 'a decision with this link is being recorded; open the link again in a moment', undefined, 2);
      try {
        accepted = await decideAsk(deps, {
          tenant: record.tenant,
          askId: record.ask_id,
          body: { decision: decision.decision, action_digest: record.action_digest, ...(decision.reason ? { reason: decision.reason } : {}) },
          decidedBy: record.approver,
          roles,
        }, log, (id) => c.set('correlationId', id));
      } catch (err) {
        // Nothing counted: the link stays good for another try (its ask, not the link, says whether one can count).
        await store.release(record.link_id).catch(() => undefined);
        throw err;
      }
      await store.markUsed(record.link_id, decision.decision).catch((err: unknown) => {
        // The decision counted; an unmarked link can only repeat it, which the ask answers as the same decision.
        log.warn({ correlation_id: c.get('correlationId'), link_id: record.link_id, err: (err as Error).message }, 'link not marked used');
      });
    } catch (err) {
      return refuse(c, err, record, 'link_decision', decision?.decision);
    }
    await audit(c, record, { event: 'link_decision', status: 202, decision: decision.decision });
    log.info({ correlation_id: c.get('correlationId'), ask_id: record.ask_id, decided_by: record.approver, decision: decision.decision }, 'decision through an approval link accepted');
    if (wantsJson(c)) return c.json(accepted, 202, LINK_PAGE_HEADERS);
    return c.html(sentPage(linkLocale(c.req.header('accept-language')), decision.decision), 202, LINK_PAGE_HEADERS);
  });

  /**
   * The link's record, checked: well-formed, kept by NEXUS, signed by NEXUS for exactly this record, not used, not
   * expired, its ask still open with the same digest, and (tokens mode) its approver's token still live with a
   * deciding role. Throws the refusal.
   */
  async function openLink(c: Context<ApiEnv>): Promise<OpenLink> {
    const link = ApprovalLinkToken.safeParse(c.req.param('link'));
    if (!link.success) throw invalid();
    const stored = await store.read(LinkSeal.idOf(link.data)).catch(() => {
      throw ApiError.unavailable('Redis');
    });
    if (!stored || !seal.verify(link.data, stored.record)) throw invalid();
    const { record } = stored;
    refusedRecord.set(c, record);
    if (stored.state === 'used') throw new ApiError(410, 'link_used', `this link was used already (${stored.decision ?? 'decided'} at ${stored.used_at ?? 'an earlier time'}): each link decides once`);
    if (record.expires_at <= new Date().toISOString()) throw new ApiError(410, 'link_expired', 'this link expired with its request');
    const view = await deps.askIndex.view(record.tenant, record.ask_id).catch(() => {
      throw ApiError.unavailable('Redis');
    });
    // A link NEXUS sent the moment it asked can be opened before the bridge has recorded the ask: "again shortly".
    if (!view) throw new ApiError(503, 'backend_unavailable', 'this request is still being recorded; open the link again in a moment', undefined, 1);
    if (view.status === 'expired') throw new ApiError(410, 'link_expired', 'the request of this link has expired');
    c.set('correlationId', view.correlationId || undefined);
    if (view.status !== 'pending') {
      throw new ApiError(409, 'ask_not_pending', view.settled
        ? `this request was already decided: ${view.settled.decision} by ${view.settled.decidedBy}`
        : 'this request can no longer be decided');
    }
    if (view.actionDigest !== record.action_digest) throw new ApiError(409, 'digest_mismatch', 'the action awaiting approval is not the one this link was made for');
    const report = askCreatedOf(view);
    if (!report) throw ApiError.unavailable('the ask index');
    return { record, ask: report.payload, roles: await currentRoles(record) };
  }

  /** A token approver decides with the roles both the link and their token still have; a revoked token, none. */
  async function currentRoles(record: ApprovalLinkRecord): Promise<string[]> {
    if (record.approver_kind === 'local') return record.roles;
    const token = await deps.auth.tokens.recordById(record.approver).catch(() => {
      throw ApiError.unavailable('Redis');
    });
    const roles = DECIDER_ROLES.filter((r) => record.roles.includes(r) && decides(token, r, record.tenant));
    if (roles.length === 0) throw new ApiError(403, 'forbidden', 'the approver of this link may no longer decide in this project (their token was revoked or changed)');
    return roles;
  }

  async function refuse(c: Context<ApiEnv>, err: unknown, verified: ApprovalLinkRecord | undefined, event: AuditLinkEntry['event'], decision?: string): Promise<Response> {
    if (!(err instanceof ApiError)) throw err;
    const record = verified ?? refusedRecord.get(c);
    if (err.status >= 400 && err.status < 500) {
      const subject = { ...anonymousSubject(c), ...(record ? { org: record.tenant.org_id, principal: record.approver, principal_kind: 'link' } : {}) };
      if ((await refusals.spend(subject)) === 'write') await audit(c, record, { event, status: err.status, code: err.code, ...(decision ? { decision } : {}) });
    } else if (record) {
      await audit(c, record, { event, status: err.status, code: err.code, ...(decision ? { decision } : {}) });
    }
    return answerRefusal(c, err);
  }

  async function audit(c: Context<ApiEnv>, record: ApprovalLinkRecord | undefined, what: Pick<AuditLinkEntry, 'event' | 'status' | 'code' | 'decision'>): Promise<void> {
    await deps.audit.append(record?.tenant.org_id ?? SECURITY_LOG, {
      ...what,
      principal: record?.approver ?? 'anonymous',
      principal_kind: record ? 'link' : 'none',
      client_ip: clientAddress(c),
      ...(record ? { link_id: record.link_id, ask_id: record.ask_id, approver: record.approver, project_id: record.tenant.project_id } : {}),
      correlation_id: c.get('correlationId'),
      user_agent: (c.req.header('user-agent') ?? '').slice(0, 200),
    });
  }

  return app;
}

/** The record of a link whose signature was good, kept per request for the refusal's audit entry. */
const refusedRecord = new WeakMap<Context<ApiEnv>, ApprovalLinkRecord>();

function invalid(): ApiError {
  // One answer for unknown, malformed, altered and forged: the caller learns nothing about which.
  return new ApiError(404, 'link_invalid', 'this is not a valid approval link');
}

/** A page for a browser, the JSON error body for a program (it asked for JSON, or posted JSON). */
function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return /application\/json/i.test(accept) && !/text\/html/i.test(accept) || /^application\/json/i.test(c.req.header('content-type') ?? '');
}

function answerRefusal(c: Context<ApiEnv>, err: ApiError): Response {
  for (const [name, value] of Object.entries(LINK_PAGE_HEADERS)) c.header(name, value);
  if (wantsJson(c)) return errorResponse(c, err);
  markRefusal(c, err);
  const retryable = err.status === 503 || err.status === 429 || err.code === 'conflict';
  return c.html(refusalPage(linkLocale(c.req.header('accept-language')), err.code, err.message, retryable), err.status);
}

/** The form's fields (`decision`, `reason`) or the same as JSON; nothing else is taken from the request. */
async function readDecision(c: Context, maxBytes: number): Promise<LinkDecisionRequest> {
  const type = c.req.header('content-type') ?? '';
  if (/^application\/json\s*(;|$)/i.test(type)) return readJson(c, LinkDecisionRequest, maxBytes);
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', 'send the form (application/x-www-form-urlencoded) or application/json');
  }
  const form = new URLSearchParams(new TextDecoder().decode(await readLimited(c.req.raw, maxBytes)));
  const fields: Record<string, string> = {};
  for (const [key, value] of form) {
    if (key in fields) throw new ApiError(400, 'invalid_request', `${key} was sent twice`, [{ path: key, message: 'sent twice' }]);
    if (key === 'reason' && value === '') continue;
    fields[key] = value;
  }
  const parsed = LinkDecisionRequest.safeParse(fields);
  if (!parsed.success) throw ApiError.fromZod(parsed.error);
  return parsed.data;
}

/** Whether this token, live, may decide in `t` with `role` (the same check as a request's, `permits`). */
function decides(token: TokenRecord | undefined, role: Role, t: Tenant): boolean {
  return token !== undefined && !token.revoked && permits(toPrincipal(token), role, t) === undefined;
}

/** The deciding roles of each named approver, or a 400 naming those who cannot decide in this tenant. */
async function approverRoles(deps: ApiDeps, caller: Principal, t: Tenant, approvers: string[]): Promise<string[][]> {
  if (deps.auth.mode === 'local') return approvers.map(() => DECIDER_ROLES);
  const found = await Promise.all(approvers.map(async (approver) => {
    if (approver === caller.id) return DECIDER_ROLES.filter((r) => caller.roles.includes(r));
    const token = await deps.auth.tokens.recordById(approver).catch(() => {
      throw ApiError.unavailable('Redis');
    });
    return DECIDER_ROLES.filter((r) => decides(token, r, t));
  }));
  const issues = approvers.flatMap((approver, i) => (found[i]?.length ?? 0) > 0 ? [] : [{ path: `approvers.${i}`, message: `${approver} is not a live token with the approver or admin role in this project` }]);
  if (issues.length > 0) throw new ApiError(400, 'invalid_request', issues[0]?.message ?? 'not an approver', issues);
  return found;
}
