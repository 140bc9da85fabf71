import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../api/auth/principal.js';
import { TokenStore } from '../../api/auth/token-store.js';
import type { Report, ReportOf } from '../../contracts/index.js';
import { AUDITED_OPENS_PER_LINK } from '../../infra/store/approval-links.js';
import { SECURITY_LOG } from '../../infra/store/audit-log.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { auditEntries } from '../support/audit-entries.js';
import { sendShare } from '../support/red-share.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, REDIS_URL, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

// Approval links on a whole NEXUS in tokens mode (real Temporal, RabbitMQ, Redis): who may make them, what a link's
// page shows and never does, the one decision a link makes, and the links that are refused: altered, forged in
// Redis, used, of a revoked approver, of an ask that is over.

const tenant = { org_id: 'linkorg', project_id: 'school' };
const PUBLIC_URL = 'https://nexus.school.example';
const env = isolatedEnv('links', { NEXUS_AUTH: 'tokens', NEXUS_AUTH_CACHE_TTL: '1s', PUBLIC_URL, NEXUS_ASK_TIMEOUT: '5m' });
const receiver = new WebhookReceiver();
let hookUrl: string;
let nexus: RunningNexus;
let logFile: string;
let redis: Redis;
let keys: RedisKeys;
let tokens: TokenStore;

async function mint(roles: Role[], org = tenant.org_id): Promise<{ id: string; auth: Record<string, string> }> {
  const { token, record } = await tokens.create({ org_id: org, projects: '*', roles, label: 'links-test' });
  return { id: record.token_id, auth: { authorization: `Bearer ${token}` } };
}
let requester: Awaited<ReturnType<typeof mint>>;
let admin: Awaited<ReturnType<typeof mint>>;
let approver: Awaited<ReturnType<typeof mint>>;
let viewer: Awaited<ReturnType<typeof mint>>;

beforeAll(async () => {
  hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  const logging = testLogger(env);
  logFile = logging.logFile;
  nexus = await bootNexus(env, logging.logger);
  redis = new Redis(REDIS_URL);
  keys = new RedisKeys(nexus.config.redis.prefix);
  tokens = new TokenStore(redis, nexus.config.redis.prefix, 0);
  requester = await mint(['operator', 'viewer']);
  admin = await mint(['admin', 'approver', 'viewer']);
  approver = await mint(['approver', 'viewer']);
  viewer = await mint(['viewer']);
});
afterAll(async () => {
  await nexus?.stop();
  await receiver.stop();
  await redis?.quit();
  await cleanupEnv(env);
});

const share = (label: string) => sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label, headers: { ...requester.auth } });
const delivered = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId);
const byType = <T extends Report['report_type']>(rs: Report[], t: T) => rs.filter((r): r is ReportOf<T> => r.report_type === t);

async function linksFor(askId: string, by: Record<string, string>, approvers?: string[]) {
  return post(nexus.baseUrl, `/approvals/${askId}/links`, approvers ? { approvers } : {}, tenant, by);
}
async function linkFor(askId: string, who: { id: string; auth: Record<string, string> }): Promise<string> {
  const res = await linksFor(askId, admin.auth, [who.id]);
  expect(res.status).toBe(201);
  return res.body.links[0].path as string;
}
/** What a browser does: GET the page, then post its form. No token, no tenant headers: the link is all there is. */
function open(path: string, headers: Record<string, string> = {}) {
  return fetch(new URL(path, nexus.baseUrl), { headers: { accept: 'text/html', ...headers } });
}
function confirm(path: string, fields: Record<string, string>) {
  return fetch(new URL(path, nexus.baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams(fields).toString(),
  });
}
async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}
const asJson = { accept: 'application/json' };
const linkAudit = async (org = tenant.org_id) => (await auditEntries(redis, keys, org)).filter((e) => e.event?.startsWith('link_'));

describe('approval links', () => {
  it('makes one link per approver; an approver only for themselves; nobody for a viewer', async () => {
    const { ask, stream } = await share('issue');
    stream.close();
    const askId = ask.payload.ask_id;
    const byAdmin = await linksFor(askId, admin.auth, [approver.id, admin.id]);
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.headers.get('cache-control')).toBe('no-store');
    expect(byAdmin.body).toMatchObject({ ask_id: askId, action_digest: ask.payload.action_digest });
    expect(byAdmin.body.links.map((l: { approver: string; roles: string[] }) => [l.approver, l.roles])).toEqual([
      [approver.id, ['approver']],
      [admin.id, ['approver', 'admin']],
    ]);
    for (const l of byAdmin.body.links) {
      expect(l.url).toBe(`${PUBLIC_URL}${l.path}`);
      expect(l.expires_at).toBe(ask.payload.expires_at);
    }
    // An approver may take a link for themselves (to decide on the phone), not make one for someone else.
    expect((await linksFor(askId, approver.auth)).status).toBe(201);
    const forOther = await linksFor(askId, approver.auth, [admin.id]);
    expect(forOther.status).toBe(403);
    expect(forOther.body.error.code).toBe('forbidden');
    const forViewer = await linksFor(askId, admin.auth, [viewer.id]);
    expect(forViewer.status).toBe(400);
    expect(forViewer.body.error.issues).toEqual([{ path: 'approvers.0', message: expect.stringContaining(viewer.id) }]);
    expect((await linksFor(askId, viewer.auth)).status).toBe(403);
    expect((await linksFor('no-such-ask', admin.auth)).status).toBe(404);
    const foreign = await mint(['admin', 'approver'], 'otherorg');
    expect((await linksFor(askId, foreign.auth)).status).toBe(403);
    const issued = (await linkAudit()).filter((e) => e.event === 'link_issued');
    expect(issued.map((e) => e.approver)).toEqual([approver.id, admin.id, approver.id]);
  });

  it('shows the facts on GET and decides nothing; the form decides once, as the link\'s approver', async () => {
    const { ask, stream, correlationId } = await share('decide');
    const path = await linkFor(ask.payload.ask_id, approver);
    // A mail scanner and a link preview open it, over and over: a page, never a decision.
    for (let i = 0; i < 3; i++) {
      const page = await open(path, { 'user-agent': `scanner-${i}` });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-store');
      const html = await page.text();
      expect(html).toContain('external_share');
      expect(html).toContain(ask.payload.action_digest);
      expect(html).toContain(`${hookUrl}/hook/${correlationId}`);
      expect(html).toContain('name="decision" value="approve"');
      expect(html).not.toMatch(/<script/i);
    }
    const json = await open(path, asJson);
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ ask_id: ask.payload.ask_id, approver: approver.id, roles: ['approver'], ask: { action_digest: ask.payload.action_digest } });
    // Still pending after every GET: a decision through the API is still possible (checked, then not used).
    expect(byType(stream.reports, 'ask_resolved')).toHaveLength(0);
    expect(delivered(correlationId)).toHaveLength(0);

    const sent = await confirm(path, { decision: 'approve', reason: 'checked the address' });
    expect(sent.status).toBe(202);
    expect(await sent.text()).toContain('Your approval was sent');
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the share approved by link to complete');
    stream.close();
    const resolved = byType(reports, 'ask_resolved')[0];
    expect(resolved?.payload).toMatchObject({ decision: 'approve', decided_by: approver.id, reason: 'checked the address' });
    expect(delivered(correlationId)).toHaveLength(1);

    // Used: again (a forwarded copy, a second tap) is refused, as a page and as JSON, and audited.
    const again = await confirm(path, { decision: 'approve' });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already used');
    const reopened = await open(path, asJson);
    expect(reopened.status).toBe(410);
    expect(await codeOf(reopened)).toBe('link_used');
    const events = (await linkAudit()).filter((e) => e.ask_id === ask.payload.ask_id).map((e) => [e.event, e.status, e.code ?? '']);
    expect(events).toEqual([
      ['link_issued', undefined, ''],
      ['link_opened', '200', ''], ['link_opened', '200', ''], ['link_opened', '200', ''], ['link_opened', '200', ''],
      ['link_decision', '202', ''],
      ['link_refused', '410', 'link_used'],
      ['link_refused', '410', 'link_used'],
    ]);
    expect(delivered(correlationId)).toHaveLength(1);
  });

  it('denies through a link (JSON): nothing runs; another approver\'s link of that ask is then refused', async () => {
    const { ask, stream, correlationId } = await share('deny');
    const mine = await linkFor(ask.payload.ask_id, approver);
    const theirs = await linkFor(ask.payload.ask_id, admin);
    const res = await fetch(new URL(mine, nexus.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'deny', reason: 'wrong school' }) });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'accepted', ask_id: ask.payload.ask_id, correlation_id: correlationId });
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 30_000, 'the denied share to end');
    stream.close();
    await waitForAskIndex(ask.payload.ask_id, 'resolved');
    const late = await fetch(new URL(theirs, nexus.baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: 'ask_not_pending', message: expect.stringContaining(`deny by ${approver.id}`) } });
    expect(delivered(correlationId)).toHaveLength(0);
  });

  it('refuses altered and forged links, and the approver\'s own right lost meanwhile; none of them decides', async () => {
    const { ask, stream, correlationId } = await share('attacks');
    const path = await linkFor(ask.payload.ask_id, approver);
    const [id, signature] = path.slice('/approve/'.length).split('.') as [string, string];
    const flipped = `/approve/${id}.${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    const shortened = `/approve/${id}.${signature.slice(1)}`;
    const invented = `/approve/${'x'.repeat(22)}.${signature}`;
    for (const bad of [flipped, shortened, invented, '/approve/hello']) {
      const res = await confirm(bad, { decision: 'approve' });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('not valid');
      expect((await open(bad, asJson)).status).toBe(404);
    }
    // Whoever can write to Redis rewrites the record to make the link the admin's: the signature no longer matches.
    const key = keys.approvalLink(id);
    const original = await redis.hget(key, 'record');
    await redis.hset(key, 'record', (original ?? '').replace(approver.id, admin.id));
    const rewritten = await open(path, asJson);
    expect(rewritten.status).toBe(404);
    expect(await codeOf(rewritten)).toBe('link_invalid');
    await redis.hset(key, 'record', original ?? '');
    expect((await open(path)).status).toBe(200);

    // The approver's token is revoked: their link stops deciding with it (and is not used up).
    await tokens.revoke(approver.id);
    const revoked = await confirm(path, { decision: 'approve' });
    expect(revoked.status).toBe(403);
    expect(await redis.hget(key, 'state')).toBe('issued');
    const security = (await auditEntries(redis, keys, SECURITY_LOG)).filter((e) => e.event === 'link_refused');
    expect(security.length).toBeGreaterThanOrEqual(8);
    expect(security.every((e) => e.code === 'link_invalid' && e.principal === 'anonymous')).toBe(true);
    const refused = (await linkAudit()).filter((e) => e.ask_id === ask.payload.ask_id && e.event !== 'link_issued' && e.event !== 'link_opened');
    expect(refused.map((e) => [e.event, e.status, e.code])).toEqual([['link_refused', '403', 'forbidden']]);
    approver = await mint(['approver', 'viewer']);

    // The ask is still open and nothing ran: an approver through the API still decides it.
    const decided = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, { decision: 'deny', action_digest: ask.payload.action_digest }, tenant, admin.auth);
    expect(decided.status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 30_000, 'the share to be denied');
    stream.close();
    expect(delivered(correlationId)).toHaveLength(0);
    // No link, nor any part of its signature, is written to NEXUS's log.
    expect(readFileSync(logFile, 'utf8')).not.toContain(signature);
  });

  it('decides once when the same link is posted twice at the same moment (a double tap, a forwarded copy)', async () => {
    const { ask, stream, correlationId } = await share('race');
    const path = await linkFor(ask.payload.ask_id, approver);
    const [a, b] = await Promise.all([confirm(path, { decision: 'approve' }), confirm(path, { decision: 'approve' })]);
    const statuses = [a.status, b.status].sort();
    // The loser is either still in flight behind the winner (409 conflict) or after it (410 used).
    expect([[202, 409], [202, 410]]).toContainEqual(statuses);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the raced share to complete');
    stream.close();
    expect(byType(stream.reports, 'ask_resolved')).toHaveLength(1);
    expect(delivered(correlationId)).toHaveLength(1);
  });

  it('audits the first openings of a link one by one, then once that there were more, and still decides nothing', async () => {
    const { ask, stream, correlationId } = await share('opens');
    const path = await linkFor(ask.payload.ask_id, approver);
    for (let i = 0; i < AUDITED_OPENS_PER_LINK + 5; i++) expect((await open(path)).status).toBe(200);
    const opened = (await linkAudit()).filter((e) => e.ask_id === ask.payload.ask_id && e.event === 'link_opened');
    expect(opened).toHaveLength(AUDITED_OPENS_PER_LINK + 1);
    expect(opened.map((e) => e.code ?? '')).toEqual([...Array<string>(AUDITED_OPENS_PER_LINK).fill(''), 'opens_limited']);
    expect(await redis.hget(keys.approvalLink(path.slice('/approve/'.length).split('.')[0] ?? ''), 'opens')).toBe(String(AUDITED_OPENS_PER_LINK + 5));
    // Opened 25 times, decided by none of them: the first decision is still the approver's to make.
    expect((await confirm(path, { decision: 'deny' })).status).toBe(202);
    await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 30_000, 'the denied share to end');
    stream.close();
    expect(delivered(correlationId)).toHaveLength(0);
  });

  it('refuses a confirmation without exactly one decision, without using the link up', async () => {
    const policyAsk = await share('bad-form');
    const path = await linkFor(policyAsk.ask.payload.ask_id, approver);
    const noDecision = await confirm(path, {});
    expect(noDecision.status).toBe(400);
    const twice = await fetch(new URL(path, nexus.baseUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=deny&decision=approve' });
    expect(twice.status).toBe(400);
    const textBody = await fetch(new URL(path, nexus.baseUrl), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'approve' });
    expect(textBody.status).toBe(415);
    expect(await redis.hget(keys.approvalLink(path.slice('/approve/'.length).split('.')[0] ?? ''), 'state')).toBe('issued');
    const ok = await confirm(path, { decision: 'approve' });
    expect(ok.status).toBe(202);
    await policyAsk.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the share approved after bad forms');
    policyAsk.stream.close();
    expect(delivered(policyAsk.correlationId)).toHaveLength(1);
  });
});

async function waitForAskIndex(askId: string, status: string): Promise<void> {
  const key = keys.ask(tenant, askId);
  const deadline = Date.now() + 15_000;
  while ((await redis.hget(key, 'status')) !== status) {
    if (Date.now() > deadline) throw new Error(`the ask index never said ${status} for ${askId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
