import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchDecideAccepted, Tenant } from '../../contracts/index.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { auditEntries } from '../support/audit-entries.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, REDIS_URL, testLogger, type RunningNexus } from '../support/nexus-under-test.js';
import { sendShare } from '../support/red-share.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * `POST /approvals/decide` on a whole NEXUS: several asks decided in one request, each through the single decision's
 * path on its own digest, answered one by one; refusals change nothing and are audited each.
 */
const receiver = new WebhookReceiver();
// Each decision of a batch is one of the org's writes: a limit a few batches reach (the other tests stay far below it).
const env = isolatedEnv('batch-decide', { NEXUS_RATE_LIMIT_PER_MIN: '80', NEXUS_ASK_MISS_LIMIT_PER_MIN: '30' });
const t: Tenant = { org_id: 'acme', project_id: 'batch' };
const other: Tenant = { org_id: 'acme', project_id: 'batch-other' };
let nexus: RunningNexus;
let hookUrl: string;
let redis: Redis;

beforeAll(async () => {
  hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  nexus = await bootNexus(env, testLogger(env).logger);
  redis = new Redis(REDIS_URL);
}, 120_000);
afterAll(async () => {
  await nexus?.stop();
  await redis?.quit();
  await receiver.stop();
  await cleanupEnv(env);
});

const delivered = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId).length;
const share = (label: string, tenant = t) => sendShare({ baseUrl: nexus.baseUrl, tenant, hookUrl, label, headers: { 'x-user-id': 'teacher-kim' } });
const batch = (body: unknown, tenant = t, user = 'principal-park') => post(nexus.baseUrl, '/approvals/decide', body, tenant, { 'x-user-id': user });
const item = (s: Awaited<ReturnType<typeof share>>, decision = 'approve') => ({ ask_id: s.ask.payload.ask_id, decision, action_digest: s.ask.payload.action_digest });
const audited = async (user: string) => (await auditEntries(redis, new RedisKeys(env.NEXUS_REDIS_PREFIX ?? ''), t.org_id)).filter((e) => e.principal === user);

describe('batch decisions', () => {
  it('approves three open asks at once, each on its own digest, each delivered once and audited', async () => {
    const shares = await Promise.all(['one', 'two', 'three'].map((label) => share(`batch-${label}`)));
    const res = await batch({ decisions: shares.map((s) => ({ ...item(s), reason: 'the weekly reports' })) });
    expect(res.status).toBe(202);
    const body = res.body as BatchDecideAccepted;
    expect(body).toMatchObject({ status: 'accepted', accepted: 3, refused: 0 });
    expect(body.results.map((r) => r.ask_id)).toEqual(shares.map((s) => s.ask.payload.ask_id));
    for (const s of shares) {
      const reports = await s.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, `${s.correlationId} completed`);
      expect(reports.find((r) => r.report_type === 'ask_resolved')?.payload).toMatchObject({ decision: 'approve', decided_by: 'principal-park', reason: 'the weekly reports' });
      expect(delivered(s.correlationId)).toBe(1);
      s.stream.close();
    }
    const entries = (await audited('principal-park')).filter((e) => e.path === '/approvals/decide');
    expect(entries.filter((e) => e.event === 'decision' && e.status === '202').map((e) => e.ask_id).sort()).toEqual(shares.map((s) => s.ask.payload.ask_id).sort());
  });

  it("answers each decision on its own: a wrong digest, an unknown ask and another project's ask are refused, the rest decided", async () => {
    const [good, stale, foreign] = await Promise.all([share('mixed-good'), share('mixed-stale'), share('mixed-foreign', other)]);
    const res = await batch({
      decisions: [
        item(good),
        { ...item(stale), action_digest: `sha256:${'0'.repeat(64)}` },
        { ask_id: 'ask_does_not_exist', decision: 'approve', action_digest: `sha256:${'1'.repeat(64)}` },
        item(foreign),
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      accepted: 1,
      refused: 3,
      results: [
        { status: 'accepted', ask_id: good.ask.payload.ask_id, correlation_id: good.correlationId },
        { status: 'refused', ask_id: stale.ask.payload.ask_id, http_status: 409, error: { code: 'digest_mismatch' } },
        { status: 'refused', ask_id: 'ask_does_not_exist', http_status: 404, error: { code: 'not_found' } },
        { status: 'refused', ask_id: foreign.ask.payload.ask_id, http_status: 404, error: { code: 'not_found' } },
      ],
    });
    await good.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'the good one completed');
    // The refused ones are still waiting for people, untouched.
    for (const [s, tenant] of [[stale, t], [foreign, other]] as const) {
      expect(s.stream.reports.some((r) => r.report_type === 'ask_resolved')).toBe(false);
      const denied = await post(nexus.baseUrl, `/approvals/${s.ask.payload.ask_id}/decide`, { decision: 'deny', action_digest: s.ask.payload.action_digest }, tenant, { 'x-user-id': 'principal-park' });
      expect(denied.status).toBe(202);
      await s.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, `${s.correlationId} denied`);
      expect(delivered(s.correlationId)).toBe(0);
    }
    for (const s of [good, stale, foreign]) s.stream.close();
  });

  it('answers as the single decide when none is decided, each refusal in issues', async () => {
    const s = await share('none-decided');
    const unknown = await batch({ decisions: [{ ask_id: 'ask_nope', decision: 'approve', action_digest: `sha256:${'2'.repeat(64)}` }] });
    expect(unknown.status).toBe(404);
    const single = await post(nexus.baseUrl, '/approvals/ask_nope/decide', { decision: 'approve', action_digest: `sha256:${'2'.repeat(64)}` }, t, { 'x-user-id': 'principal-park' });
    expect(unknown.body).toEqual(single.body);
    const both = await batch({ decisions: [{ ...item(s), action_digest: `sha256:${'3'.repeat(64)}` }, { ask_id: 'ask_nope', decision: 'deny', action_digest: `sha256:${'2'.repeat(64)}` }] });
    expect(both.status).toBe(409);
    expect(both.body.error.code).toBe('digest_mismatch');
    expect(both.body.error.issues).toEqual([
      { path: 'decisions.0', message: expect.stringMatching(/: digest_mismatch: /) },
      { path: 'decisions.1', message: expect.stringMatching(/^ask_nope: not_found: /) },
    ]);
    await batch({ decisions: [item(s, 'deny')] });
    await s.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, 'denied in a batch of one');
    s.stream.close();
  });

  it('spends the limits of the decisions it holds: unknown asks past the guess limit are not tried, each decision is a write', async () => {
    const tiny: Tenant = { org_id: 'tiny', project_id: 'probe' };
    const probes = Array.from({ length: 50 }, (_, i) => ({ ask_id: `ask_probe_${i}`, decision: 'approve', action_digest: `sha256:${'4'.repeat(64)}` }));
    const first = await batch({ decisions: probes }, tiny, 'prober');
    expect(first.status).toBe(404);
    const codes = (first.body.error.issues as Array<{ message: string }>).map((i) => i.message.split(': ')[1]);
    // Checked before each try: at most the limit plus what was already in flight (eight at a time) were looked up.
    expect(codes.filter((code) => code === 'not_found').length).toBeLessThanOrEqual(30 + 8);
    expect(codes.filter((code) => code === 'rate_limited').length).toBeGreaterThan(0);
    // 50 writes a batch against 80 a minute: of three batches, two fall in one minute and the second of them is refused whole.
    const statuses: number[] = [];
    for (let i = 0; i < 3 && !statuses.includes(429); i++) statuses.push((await batch({ decisions: probes }, tiny, `prober-${i}`)).status);
    expect(statuses).toContain(429);
  });

  it('refuses bad bodies whole with 400 and decides nothing', async () => {
    const s = await share('bad-bodies');
    const ok = item(s);
    const bad: unknown[] = [
      {},
      { decisions: [] },
      { decisions: Array.from({ length: 51 }, (_, i) => ({ ...ok, ask_id: `ask_${i}` })) },
      { decisions: [ok, ok] },
      // An edit is a single decide: it is looked at alone.
      { decisions: [{ ...ok, params: { url: 'https://elsewhere.example', payload: {} } }] },
      { decisions: [{ ...ok, decision: 'maybe' }] },
      { decisions: [{ ...ok, action_digest: 'sha256:short' }] },
      { decisions: [ok], extra: true },
      [ok],
    ];
    for (const body of bad) {
      const res = await batch(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect(s.stream.reports.some((r) => r.report_type === 'ask_resolved')).toBe(false);
    await batch({ decisions: [item(s, 'deny')] });
    await s.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 20_000, 'denied after the bad bodies');
    expect(delivered(s.correlationId)).toBe(0);
    s.stream.close();
  });
});
