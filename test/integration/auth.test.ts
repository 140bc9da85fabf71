import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../infra/store/audit-log.js';
import type { Role } from '../../api/auth/principal.js';
import { TokenStore } from '../../api/auth/token-store.js';
import { workflowIdFor, type ReportOf } from '../../contracts/index.js';
import { SseRecorder } from '../support/sse-client.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, REDIS_URL, testLogger, type RunningNexus, temporalClient } from '../support/nexus-under-test.js';

const A = { org_id: 'acme', project_id: 'web' };
const A2 = { org_id: 'acme', project_id: 'secret' };
const B = { org_id: 'globex', project_id: 'red' };
const env = isolatedEnv('auth', {
  NEXUS_AUTH: 'tokens',
  NEXUS_AUTH_CACHE_TTL: '1s',
  NEXUS_STREAM_TICKET_TTL: '3s',
  NEXUS_RATE_LIMIT_PER_MIN: '40',
  NEXUS_ASK_MISS_LIMIT_PER_MIN: '5',
  NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL: '3',
  NEXUS_OPERATOR_ORG: 'ops',
});
const receiver = new WebhookReceiver();
let hookUrl: string;
let nexus: RunningNexus;
let temporal: Client;
let redis: Redis;
let tokens: TokenStore;
/** Every secret this file minted: none may appear in any log of the suite. */
const secrets: string[] = [];

async function mint(org: string, projects: string[] | '*', roles: Role[]): Promise<{ token: string; id: string; auth: Record<string, string> }> {
  const { token, record } = await tokens.create({ org_id: org, projects, roles, label: 'auth-test' });
  secrets.push(token);
  return { token, id: record.token_id, auth: { authorization: `Bearer ${token}` } };
}

let aOperator: Awaited<ReturnType<typeof mint>>;
let aViewer: Awaited<ReturnType<typeof mint>>;
let aApprover: Awaited<ReturnType<typeof mint>>;
let aAll: Awaited<ReturnType<typeof mint>>;
let bAll: Awaited<ReturnType<typeof mint>>;

beforeAll(async () => {
  hookUrl = await receiver.start();
  env.NEXUS_SHARE_ALLOWLIST = new URL(hookUrl).origin;
  nexus = await bootNexus(env, testLogger(env).logger);
  temporal = await temporalClient(env);
  redis = new Redis(REDIS_URL);
  tokens = new TokenStore(redis, nexus.config.redis.prefix, 0);
  aOperator = await mint('acme', ['web'], ['operator']);
  aViewer = await mint('acme', ['web'], ['viewer']);
  aApprover = await mint('acme', ['web'], ['approver']);
  aAll = await mint('acme', '*', ['operator', 'approver', 'viewer']);
  bAll = await mint('globex', '*', ['operator', 'approver', 'viewer']);
});
afterAll(async () => {
  await nexus?.stop();
  await temporal?.connection.close();
  await receiver.stop();
  await redis?.quit();
  await cleanupEnv(env);
});

const echo = { type: 'agent.run', agent: 'echo', params: { hi: 1 } };
const settle = () => new Promise((r) => setTimeout(r, 1500));

async function ticketFor(auth: Record<string, string>, tenant: typeof A): Promise<{ status: number; body: any }> {
  return post(nexus.baseUrl, '/auth/stream-ticket', {}, tenant, auth);
}

async function workflowExists(workflowId: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** A RED external_share in `tenant`, sent with `auth`; resolves once its ask is on the stream. */
async function redAsk(tenant: typeof A, auth: Record<string, string>, label: string) {
  const correlationId = `${label}-${Date.now()}`;
  const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId, headers: auth });
  expect(stream.status).toBe(200);
  const res = await post(nexus.baseUrl, '/sidecar/command', {
    type: 'agent.run', agent: 'external_share', params: { url: `${hookUrl}/hook/${correlationId}`, payload: { label } }, correlation_id: correlationId,
  }, tenant, auth);
  expect(res.status).toBe(202);
  const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 20_000, 'ask_created');
  const ask = reports.find((r): r is ReportOf<'ask_created'> => r.report_type === 'ask_created');
  if (!ask) throw new Error('no ask');
  return { correlationId, stream, ask };
}

const deliveriesFor = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId);

describe('tokens mode: who may do what', () => {
  it('answers 401 without a token, with a bad one, or with a ticket where a token is needed; public routes stay public', async () => {
    const none = await post(nexus.baseUrl, '/sidecar/command', echo, A);
    expect(none).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post(nexus.baseUrl, '/sidecar/command', echo, A, { authorization: 'Bearer nxs_nope' })).status).toBe(401);
    expect((await post(nexus.baseUrl, '/sidecar/command', echo, A, { authorization: aOperator.token })).status).toBe(401);
    expect((await post(nexus.baseUrl, '/approvals/some-ask/decide', { decision: 'approve' }, A)).status).toBe(401);
    expect((await ticketFor({}, A)).status).toBe(401);
    const stream = await SseRecorder.open(nexus.baseUrl, A);
    expect(stream.status).toBe(401);
    // x-user-id means nothing in tokens mode.
    expect((await post(nexus.baseUrl, '/sidecar/command', echo, A, { 'x-user-id': 'admin' })).status).toBe(401);
    const ticket = (await ticketFor(aViewer.auth, A)).body.ticket as string;
    secrets.push(ticket);
    expect((await post(nexus.baseUrl, '/sidecar/command', echo, A, { authorization: `Bearer ${ticket}` })).status).toBe(401);
    expect((await post(nexus.baseUrl, `/sidecar/command?ticket=${ticket}`, echo, A)).status).toBe(401);
    expect((await fetch(`${nexus.baseUrl}/agents`)).status).toBe(200);
    expect((await fetch(`${nexus.baseUrl}/openapi.json`)).status).toBe(200);
  });

  it("refuses org B's headers, another project and a missing role with 403, and starts no workflow", async () => {
    const cases: Array<[Record<string, string>, typeof A, string]> = [
      [aOperator.auth, B, 'cross-org'],
      [aOperator.auth, A2, 'other-project'],
      [aViewer.auth, A, 'viewer-sends'],
      [aApprover.auth, A, 'approver-sends'],
    ];
    for (const [auth, tenant, label] of cases) {
      const commandId = `forbidden-${label}`;
      const res = await post(nexus.baseUrl, '/sidecar/command', { ...echo, command_id: commandId }, tenant, auth);
      expect(res.status, label).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(await workflowExists(workflowIdFor(tenant, commandId))).toBe(false);
    }
    const ok = await post(nexus.baseUrl, '/sidecar/command', { ...echo, command_id: 'allowed' }, A, aOperator.auth);
    expect(ok.status).toBe(202);
    expect(await workflowExists(workflowIdFor(A, 'allowed'))).toBe(true);
  });

  it("never lets org A read org B's stream, by header or by ticket", async () => {
    const byHeader = await SseRecorder.open(nexus.baseUrl, B, { headers: aAll.auth });
    expect(byHeader.status).toBe(403);
    expect((await ticketFor(aAll.auth, B)).status).toBe(403);
    const ticket = (await ticketFor(aAll.auth, A)).body.ticket as string;
    secrets.push(ticket);
    const byTicket = await SseRecorder.open(nexus.baseUrl, B, { ticket, tenantInQuery: true });
    expect(byTicket.status).toBe(403);
    // A ticket is for one project too.
    const otherProject = await SseRecorder.open(nexus.baseUrl, A2, { ticket, tenantInQuery: true });
    expect(otherProject.status).toBe(403);
  });

  it('a ticket opens its stream (with the tenant in the query, as an EventSource sends it) until it expires', async () => {
    const issued = await ticketFor(aViewer.auth, A);
    expect(issued.status).toBe(201);
    expect(issued.body).toEqual({ ticket: expect.stringMatching(/^nxt_/), expires_at: expect.any(String) });
    const ticket = issued.body.ticket as string;
    secrets.push(ticket);
    const stream = await SseRecorder.open(nexus.baseUrl, A, { ticket, tenantInQuery: true });
    expect(stream.status).toBe(200);
    stream.close();
    // Reusable for reconnects while it lives.
    const again = await SseRecorder.open(nexus.baseUrl, A, { ticket, tenantInQuery: true });
    expect(again.status).toBe(200);
    again.close();
    await new Promise((r) => setTimeout(r, 3_500));
    const expired = await SseRecorder.open(nexus.baseUrl, A, { ticket, tenantInQuery: true });
    expect(expired.status).toBe(401);
  });

  it("refuses B's ask to A's approver (403 / 404), a viewer's decision (403), and a replay (409); the ask stays pending", async () => {
    const b = await redAsk(B, bAll.auth, 'b-ask');
    const askPath = `/approvals/${b.ask.payload.ask_id}/decide`;
    const withBHeaders = await post(nexus.baseUrl, askPath, { decision: 'approve', action_digest: b.ask.payload.action_digest }, B, aAll.auth);
    expect(withBHeaders.status).toBe(403);
    const withAHeaders = await post(nexus.baseUrl, askPath, { decision: 'approve', action_digest: b.ask.payload.action_digest }, A, aAll.auth);
    expect(withAHeaders.status).toBe(404);
    await settle();
    expect(b.stream.reports.map((r) => r.report_type)).toEqual(['command_accepted', 'ask_created']);
    expect(deliveriesFor(b.correlationId)).toHaveLength(0);

    const a = await redAsk(A, aAll.auth, 'a-ask');
    const aPath = `/approvals/${a.ask.payload.ask_id}/decide`;
    const byViewer = await post(nexus.baseUrl, aPath, { decision: 'approve', action_digest: a.ask.payload.action_digest }, A, aViewer.auth);
    expect(byViewer).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    const byOperator = await post(nexus.baseUrl, aPath, { decision: 'approve', action_digest: a.ask.payload.action_digest }, A, aOperator.auth);
    expect(byOperator.status).toBe(403);
    await settle();
    expect(deliveriesFor(a.correlationId)).toHaveLength(0);

    const approved = await post(nexus.baseUrl, aPath, { decision: 'approve', action_digest: a.ask.payload.action_digest }, A, aApprover.auth);
    expect(approved.status).toBe(202);
    // The same approver sending the same decision again is a retry (its first answer may have been lost): it gets
    // the 202 of the decision that counted, and nothing runs twice.
    const replay = await post(nexus.baseUrl, aPath, { decision: 'approve', action_digest: a.ask.payload.action_digest }, A, aApprover.auth);
    expect(replay.status).toBe(202);
    const flip = await post(nexus.baseUrl, aPath, { decision: 'deny', action_digest: a.ask.payload.action_digest }, A, aApprover.auth);
    expect(flip.status).toBe(409);
    await a.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed');
    const resolved = a.stream.reports.find((r) => r.report_type === 'ask_resolved');
    expect(resolved?.payload).toMatchObject({ decision: 'approve', decided_by: aApprover.id });
    expect(deliveriesFor(a.correlationId)).toHaveLength(1);

    // B's own approver still can: nothing A did consumed B's ask.
    const own = await post(nexus.baseUrl, askPath, { decision: 'deny', action_digest: b.ask.payload.action_digest }, B, bAll.auth);
    expect(own.status).toBe(202);
    await settle();
    expect(deliveriesFor(b.correlationId)).toHaveLength(0);
    a.stream.close();
    b.stream.close();
  });

  it('no id with a newline reaches an SSE field: refused before anything starts', async () => {
    const res = await post(nexus.baseUrl, '/sidecar/command', { ...echo, correlation_id: 'a\nid: 1-1' }, A, aOperator.auth);
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    const url = new URL('/agent/reports/stream', nexus.baseUrl);
    url.searchParams.set('correlation_id', 'x\nevent: forged');
    expect((await fetch(url, { headers: { ...aViewer.auth, 'x-org-id': A.org_id, 'x-project-id': A.project_id } })).status).toBe(400);
    url.searchParams.delete('correlation_id');
    url.searchParams.set('ticket', 'nxt_a\nb');
    expect((await fetch(url, { headers: { 'x-org-id': A.org_id, 'x-project-id': A.project_id } })).status).toBe(401);
  });

  it('guessing ask ids: 404s, then 429 with Retry-After', async () => {
    const guesser = await mint('acme', '*', ['approver']);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await post(nexus.baseUrl, `/approvals/guess-${i}/decide`, { decision: 'approve', action_digest: `sha256:${'0'.repeat(64)}` }, A, guesser.auth);
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429]);
  });

  it('a revoked token is refused within the cache TTL, and so are its tickets', async () => {
    const doomed = await mint('acme', ['web'], ['viewer']);
    const issued = await ticketFor(doomed.auth, A);
    expect(issued.status).toBe(201);
    secrets.push(issued.body.ticket);
    expect(await tokens.revoke(doomed.id)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_300));
    expect((await ticketFor(doomed.auth, A)).status).toBe(401);
    expect((await SseRecorder.open(nexus.baseUrl, A, { ticket: issued.body.ticket, tenantInQuery: true })).status).toBe(401);
  });

  it('per-org rate limit: 429 with Retry-After past NEXUS_RATE_LIMIT_PER_MIN, other orgs unaffected', async () => {
    const flood = await mint('flood', '*', ['operator']);
    const tenant = { org_id: 'flood', project_id: 'x' };
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 42; i++) {
      // Invalid bodies: counted like any POST, and they start nothing.
      const res = await post(nexus.baseUrl, '/sidecar/command', '{"type":', tenant, flood.auth);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses.slice(0, 40).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(40)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect((await post(nexus.baseUrl, '/sidecar/command', echo, A, aOperator.auth)).status).toBe(202);
  });

  it('bounds open streams per token: 429 before the stream opens, a slot frees when one closes', async () => {
    const watcher = await mint('acme', ['web'], ['viewer']);
    const open = await Promise.all([1, 2, 3].map(() => SseRecorder.open(nexus.baseUrl, A, { headers: watcher.auth })));
    expect(open.map((s) => s.status)).toEqual([200, 200, 200]);
    const fourth = await SseRecorder.open(nexus.baseUrl, A, { headers: watcher.auth });
    expect(fourth.status).toBe(429);
    // Another token has its own budget.
    const other = await SseRecorder.open(nexus.baseUrl, A, { headers: aViewer.auth });
    expect(other.status).toBe(200);
    other.close();
    open[0]?.close();
    let reopened = 0;
    for (let i = 0; i < 20 && reopened !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const s = await SseRecorder.open(nexus.baseUrl, A, { headers: watcher.auth });
      reopened = s.status;
      s.close();
    }
    expect(reopened).toBe(200);
    open.forEach((s) => s.close());
  });

  it('the audit stream has the commands, the decisions and the refusals, and no token', async () => {
    const audit = new AuditLog(redis, nexus.config.redis.prefix, testLogger(env).logger);
    const acme = await audit.read('acme');
    const globex = await audit.read('globex');
    expect(acme.some((e) => e.event === 'command' && e.status === '202' && e.principal === aOperator.id)).toBe(true);
    expect(acme.some((e) => e.event === 'decision' && e.status === '202' && e.principal === aApprover.id && e.correlation_id)).toBe(true);
    expect(acme.some((e) => e.event === 'decision' && e.status === '409' && e.code === 'ask_not_pending')).toBe(true);
    expect(acme.some((e) => e.event === 'decision' && e.status === '403' && e.principal === aViewer.id)).toBe(true);
    // An anonymous caller only claims an org: its refusals go to `_unknown`, never into the org it named.
    expect(acme.some((e) => e.event === 'refused' && e.status === '401')).toBe(false);
    const unknown = await audit.read('_unknown');
    expect(unknown.some((e) => e.event === 'refused' && e.status === '401' && e.code === 'unauthorized')).toBe(true);
    // A's attempts on B are in A's own log, naming B; B's log is only ever written by B's principals.
    expect(globex.some((e) => e.principal === aAll.id)).toBe(false);
    expect(acme.some((e) => e.event === 'decision' && e.status === '403' && e.principal === aAll.id && e.target_org === 'globex')).toBe(true);
    expect(acme.some((e) => e.event === 'refused' && e.path === '/agent/reports/stream' && e.status === '403' && e.target_org === 'globex')).toBe(true);
    const flood = await audit.read('flood');
    expect(flood.some((e) => e.status === '429' && e.code === 'rate_limited')).toBe(true);
    const all = JSON.stringify([acme, globex, flood]);
    expect(all).not.toMatch(/nxs_|nxt_/);
    // Request entries carry a path (never its query); the worker's decision verdicts carry none.
    for (const entry of acme.filter((e) => e.path !== undefined)) expect(entry.path).not.toContain('?');
  });

  it('no log of the suite contains a token or a ticket minted here', async () => {
    await settle();
    const dir = 'test-artifacts/logs';
    for (const file of readdirSync(dir)) {
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      for (const secret of secrets) expect(text.includes(secret), `${file} contains a secret`).toBe(false);
    }
    expect(secrets.length).toBeGreaterThan(8);
  });
});

describe('local mode', () => {
  it('says at start-up that it trusts the headers and listens on loopback only', async () => {
    const local = isolatedEnv('auth-local-up', { NEXUS_AUTH: '' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts', '--role', 'api'], { env: { ...process.env, ...local }, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const stderr = await new Promise<string>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error(`api did not start: ${text}`)), 60_000);
        child.stderr.on('data', (c: Buffer) => {
          text += c.toString();
          if (text.includes('NEXUS is running')) {
            clearTimeout(timer);
            // The lines are written in one call; give the pipe a moment to deliver the rest.
            setTimeout(() => resolve(text), 200);
          }
        });
        child.once('exit', (code) => reject(new Error(`api exited with ${code}: ${text}`)));
      });
      expect(stderr).toContain('local mode: trusting x-org-id/x-project-id headers, listening on 127.0.0.1 only');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await cleanupEnv(local);
    }
  });

  it('refuses a non-loopback HOST with one clear line', async () => {
    const local = isolatedEnv('auth-local', { HOST: '0.0.0.0', PORT: '0', NEXUS_AUTH: '' });
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts', '--role', 'api'], { env: { ...process.env, ...local }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('nexus: HOST=0.0.0.0 needs NEXUS_AUTH=tokens (local mode trusts headers)');
  });
});

describe('the Web UI codec endpoint in tokens mode', () => {
  const codecCall = (auth: Record<string, string>) => fetch(`${nexus.baseUrl}/codec/decode`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ payloads: [] }),
  });

  it('decodes only for an admin token of the operator org covering every project', async () => {
    expect((await codecCall({})).status).toBe(401);
    expect((await codecCall(aAll.auth)).status).toBe(403);
    const acmeAdmin = await mint('acme', '*', ['admin']);
    expect((await codecCall(acmeAdmin.auth)).status).toBe(403);
    const opsAdminOneProject = await mint('ops', ['x'], ['admin']);
    expect((await codecCall(opsAdminOneProject.auth)).status).toBe(403);
    const opsAdmin = await mint('ops', '*', ['admin']);
    const ok = await codecCall(opsAdmin.auth);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ payloads: [] });
  });
});

