import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { clusterOf, redisClient } from '../../infra/redis.js';
import { redisUrlWithLogin } from '../../infra/redis-address.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUsersCli } from '../../runtime/cli/redis-users.js';
import { freePort } from '../support/local-server.js';
import { cleanupEnv, isolatedEnv, killHard, post, REDIS_URL, spawnRole, testLogger, testRedis } from '../support/nexus-under-test.js';
import { expectApprovedShareDelivered, sendShare } from '../support/red-share.js';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { NoticeReceiver } from '../support/notice-receiver.js';
import { until } from '../support/until.js';

/**
 * Redis ACL users per role, as `npm run redis:users -- --apply` defines them (the compose file runs the same): the
 * roles run as separate processes, each signed in as its own user, and an approved RED share goes through; then
 * each user tries what its role must not do.
 */
const id = randomUUID().slice(0, 8);
const receiver = new WebhookReceiver();
const env = isolatedEnv('redis-users');
const prefix = env.NEXUS_REDIS_PREFIX ?? '';
const userPrefix = `t${id}-`;
const passwords = { REDIS_API_PASSWORD: randomBytes(18).toString('base64url'), REDIS_WORKER_PASSWORD: randomBytes(18).toString('base64url'), REDIS_BRIDGE_PASSWORD: randomBytes(18).toString('base64url') };
// The run's Redis with each role's login: one server, or every node of a cluster (NEXUS_TEST_REDIS=cluster).
const urlOf = (role: 'api' | 'worker' | 'bridge', password: string) => redisUrlWithLogin(REDIS_URL, `${userPrefix}${role}`, password);
const logins = {
  api: urlOf('api', passwords.REDIS_API_PASSWORD),
  worker: urlOf('worker', passwords.REDIS_WORKER_PASSWORD),
  bridge: urlOf('bridge', passwords.REDIS_BRIDGE_PASSWORD),
};
const tenant = { org_id: 'acme', project_id: `acl-${id}` };
// A project whose policy tells its approver of each ask by webhook: the worker makes and sends the link.
const notifyTenant = { org_id: 'acme', project_id: `acl-notify-${id}` };
const notices = new NoticeReceiver();
const policyDir = mkdtempSync(join(tmpdir(), 'nexus-acl-policies-'));
const roles: ChildProcess[] = [];
const clients: Redis[] = [];
let baseUrl: string;
let hookUrl: string;

beforeAll(async () => {
  hookUrl = await receiver.start();
  const noticeUrl = await notices.start();
  copyFileSync('policies/default.json', join(policyDir, 'default.json'));
  mkdirSync(join(policyDir, 'acme'));
  writeFileSync(join(policyDir, 'acme', `${notifyTenant.project_id}.json`), JSON.stringify({
    rules: [], approval: { notify: [{ channel: 'webhook', url: `${noticeUrl}/hooks/principal`, approver: 'principal-park' }] },
  }));
  const lines: string[] = [];
  await redisUsersCli(['--apply'], { ...env, ...passwords, REDIS_USER_PREFIX: userPrefix }, (l) => lines.push(l));
  expect(lines.join('\n')).toContain(`${userPrefix}bridge`);
  // On a cluster every node keeps its own users: each must have them, or a role fails on some slots only.
  const admin = await testRedis();
  const nodes = clusterOf(admin)?.nodes('all') ?? [admin];
  for (const node of nodes) expect(await node.call('ACL', 'GETUSER', `${userPrefix}worker`), `the users on ${node.options.port}`).not.toBeNull();
  await admin.quit();
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const { logFile } = testLogger(env);
  for (const role of ['bridge', 'worker', 'api'] as const) {
    roles.push(await spawnRole(role, {
      ...env, PORT: String(port), REDIS_URL: logins[role], NEXUS_SHARE_ALLOWLIST: new URL(hookUrl).origin,
      NEXUS_POLICY_DIR: policyDir, NEXUS_NOTIFY_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    }, logFile));
  }
}, 180_000);

afterAll(async () => {
  for (const child of roles) await killHard(child);
  for (const client of clients) client.disconnect();
  await receiver.stop();
  await notices.stop();
  await cleanupEnv(env);
  const admin = await testRedis();
  for (const node of clusterOf(admin)?.nodes('all') ?? [admin]) {
    for (const role of ['api', 'worker', 'bridge']) await node.call('ACL', 'DELUSER', `${userPrefix}${role}`);
  }
  await admin.quit();
}, 120_000);

/** The error Redis answers `login` for `command`, or undefined when it was allowed. */
async function attempt(login: string, command: string, ...args: string[]): Promise<string | undefined> {
  const client = redisClient(login, { maxRetriesPerRequest: 1 });
  clients.push(client);
  return client.call(command, ...args).then(() => undefined, (err: Error) => err.message);
}

describe('Redis ACL users per role', () => {
  it('run the roles as separate processes, each signed in as its own user: an approved RED share goes through', async () => {
    const { correlationId, reports } = await expectApprovedShareDelivered({ baseUrl, tenant, hookUrl, label: `acl-${id}` }, () => receiver.deliveries);
    // And the stream a dashboard reads, through the API's read-only view of it.
    const late = await SseRecorder.open(baseUrl, tenant, { correlationId });
    await late.waitFor((rs) => rs.length === reports.length, 10_000, 'the history again');
    late.close();
  });

  it('keep approval links with the API\'s own login: a link made and used through it approves once', async () => {
    const share = await sendShare({ baseUrl, tenant, hookUrl, label: `acl-link-${id}`, headers: { 'x-user-id': 'teacher-requester' } });
    const made = await post(baseUrl, `/approvals/${share.ask.payload.ask_id}/links`, { approvers: ['principal-park'] }, tenant);
    expect(made.status).toBe(201);
    const link = new URL(made.body.links[0].path as string, baseUrl);
    expect((await fetch(link)).status).toBe(200);
    const used = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"approve"}' });
    expect(used.status).toBe(202);
    await share.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the share approved by link');
    share.stream.close();
    expect(receiver.deliveries.filter((d) => d.correlationId === share.correlationId)).toHaveLength(1);
  });

  it('send approvers their links from the worker\'s own login: the link in the message approves once', async () => {
    const share = await sendShare({ baseUrl, tenant: notifyTenant, hookUrl, label: `acl-notice-${id}`, headers: { 'x-user-id': 'teacher-requester' } });
    await until(async () => notices.to('/hooks/principal').length === 1, 20_000, 'the webhook notice');
    const link = (notices.to('/hooks/principal')[0]?.body as { data: { link: string } }).data.link;
    const used = await fetch(new URL(new URL(link).pathname, baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"approve"}' });
    expect(used.status).toBe(202);
    const reports = await share.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 30_000, 'the share approved from the notice');
    share.stream.close();
    expect(reports.find((r) => r.report_type === 'task_progress' && r.payload.notification)?.payload).toMatchObject({ notification: { approver: 'principal-park', status: 'sent' } });
    expect(receiver.deliveries.filter((d) => d.correlationId === share.correlationId)).toHaveLength(1);
  });

  it('keep standing approvals with the API\'s login, read and count them with the worker\'s: an action approved ahead goes through', async () => {
    const correlationId = `acl-standing-${id}`;
    const url = `${hookUrl}/hook/${correlationId}`;
    const made = await post(baseUrl, '/standing-approvals', { agent: 'external_share', match: { params: { url } }, expires_in: '1h', reason: 'acl test' }, tenant, { 'x-user-id': 'principal-park' });
    expect(made.status).toBe(201);
    // An id whose record lapsed, still in the index: the worker, which may only read it, passes it by.
    const admin = await testRedis();
    await admin.zadd(`${prefix}{${tenant.org_id}:${tenant.project_id}}:standing-index`, '1', 'sa_lapsedAAAAAAAAAAAAAAA');
    await admin.quit();
    const stream = await SseRecorder.open(baseUrl, tenant, { correlationId });
    expect((await post(baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'external_share', params: { url, payload: { n: 1 } }, correlation_id: correlationId }, tenant, { 'x-user-id': 'teacher-requester' })).status).toBe(202);
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed'), 30_000, 'the share approved ahead');
    stream.close();
    expect(reports.find((r) => r.report_type === 'ask_resolved')?.payload).toMatchObject({ standing_approval_id: made.body.standing_approval_id });
    expect(receiver.deliveries.filter((d) => d.correlationId === correlationId)).toHaveLength(1);
    const listed = await fetch(new URL('/standing-approvals', baseUrl), { headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id } });
    expect((await listed.json()).standing_approvals).toEqual([expect.objectContaining({ standing_approval_id: made.body.standing_approval_id, uses: 1 })]);
  });

  it('refuse each user what its role must not do', async () => {
    const noperm = expect.stringMatching(/NOPERM/);
    const stream = `${prefix}{${tenant.org_id}:${tenant.project_id}}:reports`;
    const approvalUse = `${prefix}{${tenant.org_id}:${tenant.project_id}}:approval-use:some-ask`;
    const token = `${prefix}{auth}:token:some-hash`;
    const link = `${prefix}{link:some-link}:link`;
    // Only the bridge writes a report stream: the API reads it, the worker does not touch it.
    expect(await attempt(logins.api, 'XADD', stream, '*', 'report', '{}')).toEqual(noperm);
    expect(await attempt(logins.worker, 'XADD', stream, '*', 'report', '{}')).toEqual(noperm);
    expect(await attempt(logins.api, 'XLEN', stream)).toBeUndefined();
    // Only the worker marks (or clears) an approval's use.
    expect(await attempt(logins.api, 'DEL', approvalUse)).toEqual(noperm);
    expect(await attempt(logins.bridge, 'DEL', approvalUse)).toEqual(noperm);
    expect(await attempt(logins.worker, 'EXISTS', approvalUse)).toBeUndefined();
    // The API and the worker (which sends approvers their links) keep approval links; the bridge cannot touch one.
    expect(await attempt(logins.api, 'HGET', link, 'state')).toBeUndefined();
    expect(await attempt(logins.worker, 'HGET', link, 'state')).toBeUndefined();
    expect(await attempt(logins.bridge, 'HSET', link, 'state', 'issued')).toEqual(noperm);
    // The worker reads an ask (what a notice says about it) and cannot change one: only the bridge and the API do.
    const ask = `${prefix}{${tenant.org_id}:${tenant.project_id}}:ask:some-ask`;
    expect(await attempt(logins.worker, 'HGET', ask, 'status')).toBeUndefined();
    expect(await attempt(logins.worker, 'HSET', ask, 'status', 'resolved')).toEqual(noperm);
    // Only the API makes and revokes standing approvals; the worker reads them and counts their uses.
    const standing = `${prefix}{${tenant.org_id}:${tenant.project_id}}:standing:sa_x`;
    const standingUses = `${prefix}{${tenant.org_id}:${tenant.project_id}}:standing-uses:sa_x`;
    expect(await attempt(logins.worker, 'GET', standing)).toBeUndefined();
    expect(await attempt(logins.worker, 'SET', standing, '{}')).toEqual(noperm);
    expect(await attempt(logins.worker, 'ZADD', `${prefix}{${tenant.org_id}:${tenant.project_id}}:standing-index`, '1', 'sa_x')).toEqual(noperm);
    expect(await attempt(logins.api, 'INCR', standingUses)).toEqual(noperm);
    expect(await attempt(logins.bridge, 'GET', standing)).toEqual(noperm);
    // Only the API reads tokens.
    expect(await attempt(logins.bridge, 'GET', token)).toEqual(noperm);
    expect(await attempt(logins.worker, 'GET', token)).toEqual(noperm);
    // Nobody reaches another application's keys, lists keys, flushes, reconfigures, or changes the ACL.
    for (const login of Object.values(logins)) {
      expect(await attempt(login, 'GET', 'another-app:secret')).toEqual(noperm);
      expect(await attempt(login, 'KEYS', '*')).toEqual(noperm);
      expect(await attempt(login, 'FLUSHALL')).toEqual(noperm);
      expect(await attempt(login, 'CONFIG', 'SET', 'appendonly', 'no')).toEqual(noperm);
      expect(await attempt(login, 'ACL', 'SETUSER', 'mallory', 'on', '>pw', '~*', '+@all')).toEqual(noperm);
    }
  });
});
