import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, SECURITY_LOG } from '../../infra/store/audit-log.js';
import { RefusalBudget } from '../../infra/store/refusal-budget.js';
import type { Role } from '../../api/auth/principal.js';
import { TokenStore } from '../../api/auth/token-store.js';
import { tokenCli } from '../../runtime/cli/token.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { SseRecorder } from '../support/sse-client.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, testRedis, type RunningNexus } from '../support/nexus-under-test.js';

const ACME = { org_id: 'acme', project_id: 'web' };
const GLOBEX = { org_id: 'globex', project_id: 'red' };
const LIMIT = 10;
const TTL_MS = 1_000;
const env = isolatedEnv('audit-trust', {
  NEXUS_AUTH: 'tokens',
  NEXUS_AUTH_CACHE_TTL: `${TTL_MS}ms`,
  NEXUS_REFUSAL_LIMIT_PER_MIN: String(LIMIT),
});
const { logger } = testLogger(env);
let nexus: RunningNexus;
let redis: Redis;
let tokens: TokenStore;
let audit: AuditLog;

async function mint(org: string, roles: Role[]) {
  const { token, record } = await tokens.create({ org_id: org, projects: '*', roles, label: 'audit-trust' });
  return { id: record.token_id, auth: { authorization: `Bearer ${token}` } };
}

/** Fixed one-minute windows: a flood that straddles two would be counted in both, so start it in a fresh one. */
async function startOfFreshWindow(needMs = 10_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

const echo = { type: 'agent.run', agent: 'echo', params: { hi: 1 } };

beforeAll(async () => {
  nexus = await bootNexus(env, logger);
  redis = await testRedis();
  tokens = new TokenStore(redis, nexus.config.redis.prefix, 0);
  audit = new AuditLog(redis, nexus.config.redis.prefix, logger);
});
afterAll(async () => {
  await nexus?.stop();
  await redis?.quit();
  await cleanupEnv(env);
});

describe('refusals cannot evict another org\'s audit history', () => {
  it("a flood of another org's token naming acme leaves acme's log untouched, lands in its own org's log, and turns into 429", async () => {
    const acmeOperator = await mint('acme', ['operator']);
    const attacker = await mint('globex', ['operator', 'approver', 'viewer']);
    const accepted = await post(nexus.baseUrl, '/sidecar/command', { ...echo, command_id: 'acme-history' }, ACME, acmeOperator.auth);
    expect(accepted.status).toBe(202);
    // acme's real history: the API's entry for the request, and the bridge's for the command the workflow accepted.
    const deadline = Date.now() + 20_000;
    while (!(await audit.read('acme')).some((e) => e.event === 'command_started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const acmeBefore = await audit.read('acme');
    expect(acmeBefore).toHaveLength(2);
    expect(acmeBefore).toEqual(expect.arrayContaining([
      expect.objectContaining({ event: 'command', status: '202', principal: acmeOperator.id }),
      expect.objectContaining({ event: 'command_started', principal: acmeOperator.id, correlation_id: 'acme-history' }),
    ]));

    await startOfFreshWindow();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < LIMIT + 15; i++) {
      // Commands, decisions and the stream, all naming acme: every tenant route spends the same budget.
      const res = i % 3 === 0
        ? await post(nexus.baseUrl, `/approvals/ask-${i}/decide`, { decision: 'approve', action_digest: 'sha256:x' }, ACME, attacker.auth)
        : await post(nexus.baseUrl, '/sidecar/command', { ...echo, command_id: `flood-${i}` }, ACME, attacker.auth);
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(res.body.error.code).toBe('rate_limited');
      }
    }
    expect(statuses.slice(0, LIMIT).every((s) => s === 403)).toBe(true);
    expect(statuses.slice(LIMIT).every((s) => s === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    // The stream too, and the caller's own tenant, until the window ends.
    expect((await SseRecorder.open(nexus.baseUrl, ACME, { headers: attacker.auth })).status).toBe(429);
    expect((await post(nexus.baseUrl, '/sidecar/command', echo, GLOBEX, attacker.auth)).status).toBe(429);

    await new Promise((r) => setTimeout(r, 300));
    expect(await audit.read('acme')).toEqual(acmeBefore);
    const own = await audit.read('globex');
    const refused = own.filter((e) => e.principal === attacker.id && (e.event === 'refused' || e.event === 'decision'));
    expect(refused).toHaveLength(LIMIT);
    for (const e of refused) expect(e).toMatchObject({ status: '403', code: 'forbidden', target_org: 'acme', client_ip: '127.0.0.1' });
    const limited = own.filter((e) => e.event === 'refusals_limited');
    expect(limited).toEqual([expect.objectContaining({ principal: attacker.id, limit: String(LIMIT) })]);
    // Two dozen refused requests cost the log LIMIT + 1 entries, however long the flood goes on.
    expect(own).toHaveLength(LIMIT + 1);
    expect(await audit.read(SECURITY_LOG)).toEqual([]);
  });

  it('accepted commands still go to the tenant\'s log, and one token\'s flood does not limit another token', async () => {
    const other = await mint('acme', ['operator']);
    const res = await post(nexus.baseUrl, '/sidecar/command', { ...echo, command_id: 'after-flood' }, ACME, other.auth);
    expect(res.status).toBe(202);
    const acme = await audit.read('acme');
    expect(acme.some((e) => e.event === 'command' && e.principal === other.id && e.path === '/sidecar/command')).toBe(true);
  });

  it('downloads carry nosniff and no-store', async () => {
    const operator = await mint('acme', ['operator']);
    const upload = await fetch(new URL('/files', nexus.baseUrl), {
      method: 'POST',
      headers: { ...operator.auth, 'x-org-id': ACME.org_id, 'x-project-id': ACME.project_id, 'content-type': 'text/csv', 'x-filename': 'grades.csv' },
      body: 'name,phone\nKim,01012345678\n',
    });
    expect(upload.status).toBe(201);
    const { file_id: fileId } = (await upload.json()) as { file_id: string };
    const download = await fetch(new URL(`/files/${fileId}`, nexus.baseUrl), {
      headers: { ...operator.auth, 'x-org-id': ACME.org_id, 'x-project-id': ACME.project_id },
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(download.headers.get('cache-control')).toBe('no-store');
    expect(await download.text()).toContain('Kim');
  });
});

describe('a revoked token loses the streams it already opened', () => {
  it('ends its open streams (by header and by ticket) within the cache TTL, and nobody else\'s', async () => {
    const doomed = await mint('acme', ['viewer']);
    const bystander = await mint('acme', ['viewer']);
    const issued = await post(nexus.baseUrl, '/auth/stream-ticket', {}, ACME, doomed.auth);
    expect(issued.status).toBe(201);
    const ticket = issued.body.ticket as string;
    const byHeader = await SseRecorder.open(nexus.baseUrl, ACME, { headers: doomed.auth });
    const byTicket = await SseRecorder.open(nexus.baseUrl, ACME, { ticket, tenantInQuery: true });
    const other = await SseRecorder.open(nexus.baseUrl, ACME, { headers: bystander.auth });
    expect([byHeader.status, byTicket.status, other.status]).toEqual([200, 200, 200]);

    const out: string[] = [];
    await tokenCli(['revoke', doomed.id], env, (line) => out.push(line));
    expect(out.join('\n')).toContain(`revoked ${doomed.id}`);
    const revokedAt = Date.now();
    // Generous bound: the TTL plus a check round trip; the point is that they end at all.
    await Promise.all([byHeader.waitForEnd(TTL_MS + 4_000), byTicket.waitForEnd(TTL_MS + 4_000)]);
    expect(Date.now() - revokedAt).toBeLessThan(TTL_MS + 4_000);
    for (const s of [byHeader, byTicket]) {
      const last = s.events.at(-1);
      expect(last?.event).toBe('error');
      expect(JSON.parse(last?.data ?? '{}')).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect(other.ended).toBe(false);
    other.close();

    // And they cannot come back: neither the token nor the ticket it minted opens a stream any more.
    expect((await SseRecorder.open(nexus.baseUrl, ACME, { headers: doomed.auth })).status).toBe(401);
    expect((await SseRecorder.open(nexus.baseUrl, ACME, { ticket, tenantInQuery: true })).status).toBe(401);
  });
});

describe('anonymous refusals', () => {
  it('go to the security log, never to the org they name, and are limited per client address', async () => {
    const acmeBefore = await audit.read('acme');
    const securityBefore = (await audit.read(SECURITY_LOG)).length;
    await startOfFreshWindow();
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 5; i++) {
      const res = await post(nexus.baseUrl, '/sidecar/command', echo, ACME, { authorization: `Bearer nxs_guess${i}` });
      statuses.push(res.status);
    }
    // This address already spent a little of its budget on the revoked token's retries above.
    const firstLimited = statuses.indexOf(429);
    expect(firstLimited).toBeGreaterThan(0);
    expect(firstLimited).toBeLessThanOrEqual(LIMIT);
    expect(statuses.slice(0, firstLimited).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(firstLimited).every((s) => s === 429)).toBe(true);
    expect(await audit.read('acme')).toEqual(acmeBefore);
    const security = (await audit.read(SECURITY_LOG)).slice(securityBefore);
    expect(security.filter((e) => e.event === 'refused')).toHaveLength(firstLimited);
    for (const e of security.filter((x) => x.event === 'refused')) expect(e).toMatchObject({ principal: 'anonymous', target_org: 'acme', status: '401' });
    expect(security.filter((e) => e.event === 'refusals_limited')).toEqual([expect.objectContaining({ client_ip: '127.0.0.1' })]);
  });
});

describe('refusal budget windows', () => {
  it('writes one summary with the whole count when the window ends', async () => {
    const keys = new RedisKeys(nexus.config.redis.prefix);
    const budget = new RefusalBudget(redis, keys, audit, 2, logger, 2_000);
    // A window that has at least a second left, so all five land in it.
    while (2_000 - (Date.now() % 2_000) < 1_000) await new Promise((r) => setTimeout(r, 50));
    const subject = { key: 'p:token:tok_budget', org: 'budget-org', principal: 'tok_budget', principal_kind: 'token' };
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await budget.spend(subject));
    expect(verdicts).toEqual(['write', 'write', 'skip', 'skip', 'skip']);
    expect(await budget.exhausted(subject)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 4_500));
    const log = await audit.read('budget-org');
    expect(log.map((e) => e.event)).toEqual(['refusals_limited', 'refusals_summary']);
    expect(log[1]).toMatchObject({ principal: 'tok_budget', count: '5', limit: '2' });
    expect(await budget.exhausted(subject)).toBeUndefined();
  });
});
