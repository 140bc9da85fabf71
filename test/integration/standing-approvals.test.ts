import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ReportOf, StandingApprovalView, Tenant } from '../../contracts/index.js';
import { actionDigest } from '../../activities/action-digest.js';
import { createLogger } from '../../infra/logger.js';
import { AuditLog } from '../../infra/store/audit-log.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, REDIS_URL, testLogger, type RunningNexus } from '../support/nexus-under-test.js';
import { TokenStore } from '../../api/auth/token-store.js';
import { SseRecorder } from '../support/sse-client.js';
import { tokenMinter } from '../support/token-minter.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Standing approvals on the whole NEXUS: made, approved and revoked through the API, standing in for people on
 * matching RED asks (the stream says so), refused for everything they do not cover, and worth nothing when written
 * into Redis by anyone but the API.
 */
const policyDir = mkdtempSync(join(tmpdir(), 'nexus-standing-policy-'));
mkdirSync(join(policyDir, 'acme'));
const policies: Record<string, unknown> = {
  exact: { rules: [] },
  pattern: { rules: [] },
  quorum: { rules: [], approval: { quorum: { external_share: 2 }, separation_of_duties: true } },
  limits: { rules: [], approval: { standing_max_ttl: '1d' } },
  locked: { rules: [], approval: { standing_approvals: false } },
  forged: { rules: [] },
};
for (const [project, policy] of Object.entries(policies)) writeFileSync(join(policyDir, 'acme', `${project}.json`), JSON.stringify(policy));
const receiver = new WebhookReceiver();
const env = isolatedEnv('standing', { NEXUS_POLICY_DIR: policyDir });
let nexus: RunningNexus;
let hook: string;
let redis: Redis;
let audit: AuditLog;

beforeAll(async () => {
  hook = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hook).origin;
  nexus = await bootNexus(env, testLogger(env).logger);
  redis = new Redis(REDIS_URL);
  audit = new AuditLog(redis, env.NEXUS_REDIS_PREFIX ?? '', createLogger('silent'));
}, 120_000);
afterAll(async () => {
  await nexus?.stop();
  await redis?.quit();
  await receiver.stop();
  await cleanupEnv(env);
});

const project = (name: string): Tenant => ({ org_id: 'acme', project_id: name });
const as = (user: string) => ({ 'x-user-id': user });
const byType = <T extends Report['report_type']>(rs: Report[], t: T) => rs.filter((r): r is ReportOf<T> => r.report_type === t);
const delivered = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId);
const shareAction = (path: string, payload: Record<string, unknown>) => ({ agent: 'external_share', params: { url: `${hook}/${path}`, payload } });

async function get(t: Tenant, path: string, user = 'viewer-vic'): Promise<{ status: number; body: any }> {
  const res = await fetch(new URL(path, nexus.baseUrl), { headers: { 'x-org-id': t.org_id, 'x-project-id': t.project_id, ...as(user) } });
  return { status: res.status, body: await res.json() };
}

const create = (t: Tenant, user: string, body: Record<string, unknown>) => post(nexus.baseUrl, '/standing-approvals', body, t, as(user));
const approve = (t: Tenant, user: string, id: string) => post(nexus.baseUrl, `/standing-approvals/${id}/approve`, {}, t, as(user));
const revoke = (t: Tenant, user: string, id: string, reason?: string) => post(nexus.baseUrl, `/standing-approvals/${id}/revoke`, reason ? { reason } : {}, t, as(user));

/** Sends the action as a command and records its stream until `done`. */
async function send(t: Tenant, label: string, action: { agent: string; params: Record<string, unknown> }, requester: string, done: Report['report_type']) {
  const correlationId = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  const stream = await SseRecorder.open(nexus.baseUrl, t, { correlationId });
  const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', ...action, correlation_id: correlationId }, t, as(requester));
  expect(res.status).toBe(202);
  const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === done || r.report_type === 'task_failed'), 30_000, `${label}: ${done}`);
  return { correlationId, stream, reports };
}

/**
 * A command that must wait for people: its ask can be denied by a person (an ask a standing approval resolved could
 * not: 409), and the only resolution is that deny. Nothing ran.
 */
async function expectAsksPeople(t: Tenant, label: string, action: { agent: string; params: Record<string, unknown> }, requester = 'carol') {
  const { correlationId, stream, reports } = await send(t, label, action, requester, 'ask_created');
  const ask = byType(reports, 'ask_created')[0];
  const denied = await post(nexus.baseUrl, `/approvals/${ask?.payload.ask_id ?? ''}/decide`, { decision: 'deny', action_digest: ask?.payload.action_digest, reason: 'test over' }, t, as('dave'));
  expect(denied.status, `${label}: the ask waits for a person`).toBe(202);
  const all = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, `${label}: the denied command to end`);
  stream.close();
  expect(byType(all, 'ask_resolved').map((r) => [r.payload.decision, r.payload.decided_by, r.payload.standing_approval_id])).toEqual([['deny', 'dave', undefined]]);
  expect(delivered(correlationId)).toHaveLength(0);
}

/** A command that a standing approval approves: ask recorded and resolved at once, naming it; the share delivered once. */
async function expectApprovedAhead(t: Tenant, label: string, action: { agent: string; params: Record<string, unknown> }, id: string, requester = 'carol') {
  const { correlationId, stream, reports } = await send(t, label, action, requester, 'task_completed');
  stream.close();
  expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed']);
  const resolved = byType(reports, 'ask_resolved')[0];
  expect(resolved?.payload).toMatchObject({ decision: 'approve', standing_approval_id: id, ask_id: byType(reports, 'ask_created')[0]?.payload.ask_id });
  expect(delivered(correlationId)).toHaveLength(1);
  return { correlationId, resolved };
}

describe('standing approvals', () => {
  it('approve an exact action ahead: it runs without asking, says so, and each use is audited', async () => {
    const t = project('exact');
    const action = shareAction('exact', { report: 'weekly' });
    const made = await create(t, 'alice', { agent: 'external_share', match: { action_digest: actionDigest(action) }, expires_in: '8h', reason: 'the weekly report goes to the auditor' });
    expect(made.status).toBe(201);
    const view = made.body as StandingApprovalView;
    expect(made.headers.get('location')).toBe(`/standing-approvals/${view.standing_approval_id}`);
    expect(view).toMatchObject({ status: 'active', agent: 'external_share', created_by: 'alice', quorum: 1, approvals_counted: 1, uses: 0, tenant: t });
    expect(Date.parse(view.expires_at ?? '') - Date.parse(view.created_at)).toBe(8 * 3600_000);

    const first = await expectApprovedAhead(t, 'exact-1', action, view.standing_approval_id);
    expect(first.resolved?.payload).toMatchObject({ decided_by: 'alice', reason: 'the weekly report goes to the auditor' });
    expect(first.resolved?.payload.decisions).toEqual([expect.objectContaining({ decided_by: 'alice', decision: 'approve', action_digest: actionDigest(action) })]);
    await expectApprovedAhead(t, 'exact-2', action, view.standing_approval_id);
    // Anything else, however close, is asked about: another payload is another action.
    await expectAsksPeople(t, 'exact-other', shareAction('exact', { report: 'weekly', extra: 1 }));

    expect((await get(t, `/standing-approvals/${view.standing_approval_id}`)).body).toMatchObject({ uses: 2, status: 'active' });
    const entries = await audit.read('acme');
    expect(entries.filter((e) => e.event === 'standing_created' && e.standing_approval_id === view.standing_approval_id)).toEqual([
      expect.objectContaining({ principal: 'alice', agent: 'external_share', project_id: 'exact', status: 'active', match: `action_digest:${actionDigest(action)}` }),
    ]);
    const used = entries.filter((e) => e.event === 'effect_authorized' && e.standing_approval_id === view.standing_approval_id);
    expect(used).toHaveLength(2);
    expect(used.map((e) => e.correlation_id)).toEqual(expect.arrayContaining([first.correlationId, expect.stringMatching(/^exact-2-/)]));
  });

  it('a params pattern covers only what it names, and revoking it stops it at once', async () => {
    const t = project('pattern');
    const made = await create(t, 'alice', { agent: 'external_share', match: { params: { url: `${hook}/pattern-ok` } }, reason: 'the school portal' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ status: 'active', expires_at: null });
    const id = (made.body as StandingApprovalView).standing_approval_id;
    await expectApprovedAhead(t, 'pattern-a', shareAction('pattern-ok', { any: 'thing' }), id);
    await expectApprovedAhead(t, 'pattern-b', shareAction('pattern-ok', { something: ['else'] }), id);
    await expectAsksPeople(t, 'pattern-other-url', shareAction('pattern-elsewhere', { any: 'thing' }));

    const revoked = await revoke(t, 'bob', id, 'the portal moved');
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_by: 'bob', revoke_reason: 'the portal moved' });
    // A retry of the revocation answers the same, and is audited once.
    expect((await revoke(t, 'bob', id)).body).toMatchObject({ status: 'revoked', revoked_by: 'bob' });
    await expectAsksPeople(t, 'pattern-after-revoke', shareAction('pattern-ok', { any: 'thing' }));
    expect((await approve(t, 'dave', id)).status).toBe(409);
    const listed = (await get(t, '/standing-approvals?status=revoked')).body.standing_approvals as StandingApprovalView[];
    expect(listed.map((s) => [s.standing_approval_id, s.uses])).toEqual([[id, 2]]);
    expect((await get(t, '/standing-approvals?status=active')).body.standing_approvals).toEqual([]);
    expect((await audit.read('acme')).filter((e) => e.event === 'standing_revoked' && e.standing_approval_id === id)).toEqual([
      expect.objectContaining({ principal: 'bob', reason: 'the portal moved' }),
    ]);
  });

  it('the quorum and separation of duties apply to making one and to each use', async () => {
    const t = project('quorum');
    const action = shareAction('quorum', { n: 1 });
    const made = await create(t, 'alice', { agent: 'external_share', match: { action_digest: actionDigest(action) }, expires_in: '1h', reason: 'monthly export' });
    expect(made.status).toBe(201);
    // Under separation of duties who asked for it does not count: 0 of 2.
    expect(made.body).toMatchObject({ status: 'pending', approvals_counted: 0, quorum: 2 });
    const id = (made.body as StandingApprovalView).standing_approval_id;
    expect((await approve(t, 'alice', id)).status).toBe(409);
    expect((await approve(t, 'bob', id)).body).toMatchObject({ status: 'pending', approvals_counted: 1 });
    expect((await approve(t, 'bob', id)).status).toBe(409);
    await expectAsksPeople(t, 'quorum-pending', action);
    expect((await approve(t, 'erin', id)).body).toMatchObject({ status: 'active', approvals_counted: 2 });

    const { resolved } = await expectApprovedAhead(t, 'quorum-active', action, id);
    expect(resolved?.payload.decided_by).toBe('alice, bob, erin');
    // Its own approvers' commands still go to people: nobody approves their own command, ahead of time or not.
    await expectAsksPeople(t, 'quorum-own', action, 'bob');
    await expectAsksPeople(t, 'quorum-creator', action, 'alice');
  });

  it('refuses bad requests with a clear 4xx and changes nothing', async () => {
    const t = project('limits');
    const digest = actionDigest(shareAction('limits', {}));
    const refusals: Array<[Record<string, unknown>, number, string]> = [
      [{ agent: 'external_share', match: { params: {} }, expires_in: '1h', reason: 'x' }, 400, 'invalid_request'],
      [{ agent: 'external_share', match: { params: { 'a.__proto__': 1 } }, expires_in: '1h', reason: 'x' }, 400, 'invalid_request'],
      [{ agent: 'external_share', match: { action_digest: digest, params: { url: 'x' } }, expires_in: '1h', reason: 'x' }, 400, 'invalid_request'],
      [{ agent: 'external_share', match: { action_digest: 'sha256:nothex' }, expires_in: '1h', reason: 'x' }, 400, 'invalid_request'],
      [{ agent: 'external_share', match: { action_digest: digest }, expires_in: 'forever', reason: 'x' }, 400, 'invalid_request'],
      [{ agent: 'external_share', match: { action_digest: digest }, expires_in: '1h' }, 400, 'invalid_request'],
      [{ agent: 'external_share', match: { action_digest: digest }, expires_in: '1h', reason: 'x', admin: true }, 400, 'invalid_request'],
      [{ agent: 'no_such_agent', match: { action_digest: digest }, expires_in: '1h', reason: 'x' }, 400, 'unknown_agent'],
      // This project's policy: at most a day, so never "until revoked".
      [{ agent: 'external_share', match: { action_digest: digest }, reason: 'x' }, 400, 'invalid_request'],
      [{ agent: 'external_share', match: { action_digest: digest }, expires_in: '2d', reason: 'x' }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of refusals) {
      const res = await create(t, 'alice', body);
      expect([res.status, res.body?.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect((await post(nexus.baseUrl, '/standing-approvals', 'not json', t, as('alice'))).status).toBe(400);
    expect((await create(project('locked'), 'alice', { agent: 'external_share', match: { action_digest: digest }, expires_in: '1h', reason: 'x' })).status).toBe(403);
    expect((await get(t, '/standing-approvals')).body).toEqual({ standing_approvals: [] });
    expect((await get(t, '/standing-approvals?status=everything')).status).toBe(400);
    for (const id of ['sa_AAAAAAAAAAAAAAAAAAAAAA', 'not-an-id']) {
      expect((await get(t, `/standing-approvals/${id}`)).status).toBe(404);
      expect((await approve(t, 'bob', id)).status).toBe(404);
      expect((await revoke(t, 'bob', id)).status).toBe(404);
    }
    const ok = await create(t, 'alice', { agent: 'external_share', match: { action_digest: digest }, expires_in: '12h', reason: 'within the policy' });
    expect(ok.status).toBe(201);
    expect((await get(t, '/standing-approvals')).body.standing_approvals).toHaveLength(1);
  });

  it('a standing approval written into Redis by anyone but the API approves nothing', async () => {
    const t = project('forged');
    const action = shareAction('forged', { n: 1 });
    const keys = new RedisKeys(env.NEXUS_REDIS_PREFIX ?? '');
    // A real one for another action, then altered in Redis to cover this one: its signature no longer holds.
    const real = await create(t, 'alice', { agent: 'external_share', match: { action_digest: actionDigest(shareAction('forged', { n: 2 })) }, expires_in: '1h', reason: 'the other one' });
    const id = (real.body as StandingApprovalView).standing_approval_id;
    const key = keys.standingApproval(t, id);
    const stored = JSON.parse(await redis.get(key) ?? '{}');
    stored.signed.grant.match = { action_digest: actionDigest(action) };
    await redis.set(key, JSON.stringify(stored));
    // And one made up whole, with a signature of somebody's own.
    const madeUp = { ...stored.signed.grant, standing_approval_id: 'sa_BBBBBBBBBBBBBBBBBBBBBB' };
    await redis.set(keys.standingApproval(t, madeUp.standing_approval_id), JSON.stringify({ signed: { grant: madeUp, signature: 'A'.repeat(43) } }));
    await redis.zadd(keys.standingIndex(t), Date.now(), madeUp.standing_approval_id);

    await expectAsksPeople(t, 'forged', action);
    expect((await get(t, `/standing-approvals/${madeUp.standing_approval_id}`)).status).toBe(404);
    expect((await get(t, `/standing-approvals/${id}`)).status).toBe(404);
    expect((await approve(t, 'bob', id)).status).toBe(404);
  });
});

describe('standing approvals with tokens', () => {
  const tokensEnv = isolatedEnv('standing-tokens', { NEXUS_AUTH: 'tokens', NEXUS_AUTH_CACHE_TTL: '1s', NEXUS_POLICY_DIR: policyDir });
  const t = project('exact');
  let secured: RunningNexus;
  let tokens: TokenStore;
  const mint = tokenMinter(() => tokens, t, 'standing-test');
  beforeAll(async () => {
    secured = await bootNexus(tokensEnv, testLogger(tokensEnv).logger);
    tokens = new TokenStore(redis, secured.config.redis.prefix, 0);
  }, 120_000);
  afterAll(async () => {
    await secured?.stop();
    await cleanupEnv(tokensEnv);
  });

  it('only an approver of the project makes one, as their token; viewers list; an admin revokes; nobody else changes anything', async () => {
    const [approver, viewer, operator, admin, elsewhere, stranger] = await Promise.all([
      mint(['approver', 'viewer']), mint(['viewer']), mint(['operator', 'viewer']), mint(['admin']),
      mint(['approver'], ['another']), mint(['approver', 'viewer'], '*', 'globex'),
    ]);
    const body = { agent: 'external_share', match: { params: { url: `${hook}/tokens` } }, expires_in: '1h', reason: 'tokens' };
    const as = (who: { auth: Record<string, string> }) => who.auth;
    for (const who of [viewer, operator, admin, elsewhere, stranger]) {
      expect((await post(secured.baseUrl, '/standing-approvals', body, t, as(who))).status).toBe(403);
    }
    expect((await post(secured.baseUrl, '/standing-approvals', body, t)).status).toBe(401);
    const made = await post(secured.baseUrl, '/standing-approvals', body, t, as(approver));
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ created_by: approver.id, approvals: [{ approver: approver.id, roles: ['approver'] }], status: 'active' });
    const id = made.body.standing_approval_id as string;

    const list = async (who: { auth: Record<string, string> }) => fetch(new URL('/standing-approvals', secured.baseUrl), { headers: { 'x-org-id': t.org_id, 'x-project-id': t.project_id, ...who.auth } });
    expect((await (await list(viewer)).json()).standing_approvals.map((s: StandingApprovalView) => s.standing_approval_id)).toEqual([id]);
    expect((await list(stranger)).status).toBe(403);
    for (const who of [viewer, operator, elsewhere, stranger]) {
      expect((await post(secured.baseUrl, `/standing-approvals/${id}/revoke`, {}, t, as(who))).status).toBe(403);
      expect((await post(secured.baseUrl, `/standing-approvals/${id}/approve`, {}, t, as(who))).status).toBe(403);
    }
    const revoked = await post(secured.baseUrl, `/standing-approvals/${id}/revoke`, { reason: 'admin says so' }, t, as(admin));
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_by: admin.id });
    const entries = (await new AuditLog(redis, secured.config.redis.prefix, createLogger('silent')).read('acme')).filter((e) => e.standing_approval_id === id);
    expect(entries.map((e) => [e.event, e.principal, e.principal_kind])).toEqual([
      ['standing_created', approver.id, 'token'], ['standing_revoked', admin.id, 'token'],
    ]);
  });
});

