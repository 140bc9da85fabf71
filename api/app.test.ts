import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { Redis } from 'ioredis';
import { NexusMetrics } from '../infra/metrics/nexus-metrics.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../agents/agent.js';
import { echoAgent } from '../agents/echo/echo-agent.js';
import { AgentRegistry } from '../agents/registry.js';
import { ApiErrorBody, Report, type CommandInput, type DecideInput } from '../contracts/index.js';
import { LocalBlobStore } from '../infra/files/local-blob-store.js';
import { createLogger } from '../infra/logger.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../infra/payload-codec.js';
import { AskIndex } from '../infra/store/ask-index.js';
import { AuditLog } from '../infra/store/audit-log.js';
import { CommandLedger } from '../infra/store/command-ledger.js';
import { RedisKeys } from '../infra/store/keys.js';
import { ReportStore } from '../infra/store/report-store.js';
import { DecisionSeal } from '../infra/trust/decision-seal.js';
import { LinkSeal } from '../infra/trust/link-seal.js';
import { ApprovalLinks } from '../infra/store/approval-links.js';
import { StandingApprovals } from '../infra/store/standing-approvals.js';
import { StandingSeal } from '../infra/trust/standing-seal.js';
import { PolicyStore } from '../infra/files/policy-store.js';
import type { KeyRing } from '../infra/trust/key-ring.js';
import { REDIS_URL } from '../test/support/nexus-under-test.js';
import { TEST_SETTINGS } from '../test/support/workflow-harness.js';
import type { ApiDeps } from './api-deps.js';
import { createApp } from './app.js';
import { StreamTickets } from './auth/stream-tickets.js';
import { TokenStore } from './auth/token-store.js';
import { RefusalBudget } from '../infra/store/refusal-budget.js';
import { SseClientLimiter } from './sse/client-limiter.js';
import { FeedHub } from './sse/report-feed.js';
import type { CommandGateway, DecideOutcome } from './temporal/command-gateway.js';

// The whole HTTP surface in process (`app.request`), on a real Redis under a key prefix of this file's own. The
// gateway is a stand-in that records what the API asked of Temporal; it keeps a workflow id once, as Temporal does.

class RecordingGateway implements Pick<CommandGateway, 'start' | 'decide' | 'ping'> {
  readonly starts: CommandInput[] = [];
  readonly workflows = new Set<string>();
  readonly decisions: Array<{ workflowId: string; input: DecideInput }> = [];
  pingFailure: Error | undefined;

  async start(input: CommandInput): Promise<void> {
    this.starts.push(input);
    this.workflows.add(input.workflow_id);
  }

  async decide(workflowId: string, input: DecideInput): Promise<DecideOutcome> {
    this.decisions.push({ workflowId, input });
    return { ok: true, final: true };
  }

  async ping(): Promise<void> {
    if (this.pingFailure) throw this.pingFailure;
  }

  reset(): void {
    this.starts.length = 0;
    this.workflows.clear();
    this.decisions.length = 0;
    this.pingFailure = undefined;
  }
}

const prefix = `test:app-${randomUUID().slice(0, 8)}:`;
const tenant = { org_id: 'acme', project_id: 'app-test' };
const tenantHeaders = { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id };
const payloadKeys: KeyRing = [{ id: 'test-payload', key: randomBytes(32) }];
const settings = TEST_SETTINGS;
const gateway = new RecordingGateway();
let redis: Redis;
let app: ReturnType<typeof createApp>;
let keys: RedisKeys;
const decisionSeal = new DecisionSeal([{ id: 'test-decision', key: randomBytes(32) }], 60_000);
const addresses = { redis: 'redis://127.0.0.1:6379', rabbitmq: 'amqp://127.0.0.1:5672', temporal: '127.0.0.1:7233 (namespace default)' };

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  const logger = createLogger('silent');
  keys = new RedisKeys(prefix);
  const store = new ReportStore(redis, keys, 1_000);
  const tokens = new TokenStore(redis, prefix, 5_000);
  const audit = new AuditLog(redis, prefix, logger);
  const deps: ApiDeps = {
    logger,
    agents: new AgentRegistry([echoAgent as Agent]),
    gateway: gateway as unknown as CommandGateway,
    ledger: new CommandLedger(redis, keys),
    askIndex: new AskIndex(redis, keys),
    store,
    feeds: new FeedHub({ store, openReader: () => redis.duplicate(), capacity: 100, heartbeatMs: 1_000, logger }),
    redis,
    // RabbitMQ is not on these routes' path; health reports it healthy so only the gateway decides.
    checkAmqp: async () => undefined,
    addresses,
    metrics: new NexusMetrics('api'),
    temporalCoreMetricsUrl: undefined,
    settings,
    limits: { maxBodyBytes: 64 * 1024, ratePerMin: 0, askMissesPerMin: 0, requestTimeoutMs: 5_000 },
    auth: { mode: 'local', tokens, tickets: new StreamTickets(redis, prefix, tokens, 60_000), prefix },
    audit,
    sseClients: new SseClientLimiter(4),
    // No route here uploads: the store is never written.
    files: { store: new LocalBlobStore(join(tmpdir(), `nexus-app-test-${randomUUID()}`), 1024 * 1024), maxUploadBytes: 1024 * 1024 },
    sse: { heartbeatMs: 1_000, retryMs: 500 },
    temporalUiUrl: undefined,
    seal: decisionSeal,
    links: { store: new ApprovalLinks(redis, keys), seal: new LinkSeal([{ id: 'test-decision', key: randomBytes(32) }]), publicUrl: 'http://localhost:0' },
    // No policy files here: standing approvals are allowed, one approver each.
    standing: { store: new StandingApprovals(redis, keys), seal: new StandingSeal([{ id: 'test-decision', key: randomBytes(32) }]), policies: new PolicyStore(join(tmpdir(), `nexus-app-policies-${randomUUID()}`)) },
    codec: { codec: new AesGcmPayloadCodec(payloadKeys), operatorOrg: undefined, origins: [] },
    temporalNamespace: 'default',
  };
  app = createApp(deps, new RefusalBudget(redis, keys, audit, 0, logger));
});

afterAll(async () => {
  if (!redis) return;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
  await redis.quit();
});

beforeEach(() => gateway.reset());

function post(path: string, body: unknown, headers: Record<string, string> = tenantHeaders) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The JSON error body every refusal carries (contracts/errors.ts). */
async function errorOf(res: Response): Promise<ApiErrorBody['error']> {
  return ApiErrorBody.parse(await res.json()).error;
}

const echo = (extra: Record<string, unknown> = {}) => ({ type: 'agent.run', agent: 'echo', params: { hello: 'world' }, ...extra });

describe('POST /sidecar/command', () => {
  it('answers 202 with the ids and nothing else, and starts the workflow once', async () => {
    const commandId = `cmd-${randomUUID()}`;
    const res = await post('/sidecar/command', echo({ command_id: commandId, correlation_id: 'corr-1' }), { ...tenantHeaders, 'x-user-id': 'kim' });

    expect(res.status).toBe(202);
    const workflowId = `nexus/${tenant.org_id}/${tenant.project_id}/${commandId}`;
    expect(await res.json()).toEqual({ status: 'accepted', correlation_id: 'corr-1', command_id: commandId, workflow_id: workflowId });
    expect(gateway.starts).toHaveLength(1);
    expect(gateway.starts[0]).toMatchObject({
      tenant,
      command_id: commandId,
      correlation_id: 'corr-1',
      workflow_id: workflowId,
      request: { type: 'agent.run', agent: 'echo', params: { hello: 'world' } },
      requested_by: 'kim',
      settings,
    });
  });

  it('gives a command without ids a fresh command id that is also its correlation id', async () => {
    const res = await post('/sidecar/command', echo());
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.command_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toEqual({ status: 'accepted', correlation_id: body.command_id, command_id: body.command_id, workflow_id: `nexus/acme/app-test/${body.command_id}` });
    expect(gateway.workflows).toEqual(new Set([body.workflow_id]));
  });

  it('treats the same command_id with the same body as one command', async () => {
    const command = echo({ command_id: `cmd-${randomUUID()}` });
    const first = await post('/sidecar/command', command);
    const second = await post('/sidecar/command', command);

    expect([first.status, second.status]).toEqual([202, 202]);
    expect(await second.json()).toEqual(await first.json());
    // Both requests name the same workflow id; the gateway (Temporal's id conflict policy) starts it once.
    expect(gateway.workflows.size).toBe(1);
    expect(new Set(gateway.starts.map((s) => s.workflow_id)).size).toBe(1);
  });

  it('refuses the same command_id with another body (409) without starting anything', async () => {
    const commandId = `cmd-${randomUUID()}`;
    expect((await post('/sidecar/command', echo({ command_id: commandId }))).status).toBe(202);
    const res = await post('/sidecar/command', echo({ command_id: commandId, params: { hello: 'moon' } }));

    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'conflict' });
    expect(gateway.starts).toHaveLength(1);
  });

  it('refuses a body that is not JSON (400 invalid_json)', async () => {
    const res = await post('/sidecar/command', '{"type":');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'invalid_json' });
    expect(gateway.starts).toHaveLength(0);
  });

  it('refuses an unknown agent (400), naming the field', async () => {
    const res = await post('/sidecar/command', echo({ agent: 'rm_rf' }));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('unknown_agent');
    expect(error.issues?.[0]?.path).toBe('agent');
    expect(gateway.starts).toHaveLength(0);
  });

  it('refuses a request without tenant headers (400 invalid_tenant)', async () => {
    const res = await post('/sidecar/command', echo(), {});
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_tenant');
    expect(error.issues?.map((i) => i.path).sort()).toEqual(['org_id', 'project_id']);
    expect(gateway.starts).toHaveLength(0);
  });
});

describe('POST /approvals/{ask_id}/decide', () => {
  it('requires the action_digest the approver saw (400 naming action_digest)', async () => {
    const res = await post('/approvals/x/decide', { decision: 'approve' });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_request');
    expect(error.issues?.map((i) => i.path)).toContain('action_digest');
    expect(gateway.decisions).toHaveLength(0);
  });
});

describe('approval links in local mode', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  const workflowIdOf = (askId: string) => `nexus/${tenant.org_id}/${tenant.project_id}/cmd-${askId}`;
  /** An open ask as the bridge indexes it from its `ask_created` report. */
  async function seedAsk(askId: string): Promise<void> {
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    const report = Report.parse({
      report_id: `r/${askId}`, seq: 2, report_type: 'ask_created', correlation_id: `corr-${askId}`, command_id: `cmd-${askId}`,
      workflow_id: workflowIdOf(askId), org_id: tenant.org_id, project_id: tenant.project_id, ts: new Date().toISOString(),
      payload: {
        ask_id: askId, risk_level: 'RED', title: 'Share <grades>', description: 'Grades leave the school', options: ['approve', 'deny'],
        action: { agent: 'external_share', params: { url: 'https://district.example/hook' } }, action_digest: digest, expires_at: expiresAt,
        preview: { recipients: 2, rows: 3, invalid_count: 1, invalid_rows: [{ row: 3, reason: 'no phone number' }], samples: [{ row: 1, to: '01012345678', message: '안녕하세요 <b>' }] },
      },
    });
    await redis.hset(keys.ask(tenant, askId), {
      workflow_id: workflowIdOf(askId), correlation_id: `corr-${askId}`, status: 'pending', expires_at: expiresAt, action_digest: digest,
      agent: 'external_share', report: JSON.stringify(report),
    });
  }
  async function linkPath(askId: string, approver: string): Promise<string> {
    const res = await post(`/approvals/${askId}/links`, { approvers: [approver] });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { links: Array<{ path: string; roles: string[]; url: string }> };
    expect(body.links[0]?.roles).toEqual(['approver', 'admin']);
    expect(body.links[0]?.url).toBe(`http://localhost:0${body.links[0]?.path}`);
    return body.links[0]?.path ?? '';
  }
  const confirm = (path: string, body: string) => app.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

  it('makes a link for whoever is named, shows the ask in the reader\'s language, and decides once, as them', async () => {
    await seedAsk('ask-local-1');
    const path = await linkPath('ask-local-1', 'teacher-kim');
    const page = await app.request(path, { headers: { 'accept-language': 'ko-KR,ko;q=0.9,en;q=0.5' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html lang="ko">');
    expect(html).toContain('승인 요청');
    expect(html).toContain('3행 중 2명에게 메시지가 갑니다. 1행 제외.');
    // Report text is shown, never run: the ask's own markup arrives escaped.
    expect(html).toContain('Share &lt;grades&gt;');
    expect(html).toContain('안녕하세요 &lt;b&gt;');
    expect(html).toContain('010-1234-5678');
    expect(html).not.toContain('안녕하세요 <b>');
    expect(gateway.decisions).toHaveLength(0);

    const sent = await confirm(path, 'decision=approve&reason=ok');
    expect(sent.status).toBe(202);
    expect(gateway.decisions).toHaveLength(1);
    const decided = gateway.decisions[0];
    expect(decided?.workflowId).toBe(workflowIdOf('ask-local-1'));
    expect(decided?.input).toMatchObject({ ask_id: 'ask-local-1', decision: 'approve', reason: 'ok', action_digest: digest, decided_by: 'teacher-kim', roles: ['approver', 'admin'] });
    expect(decisionSeal.verify(decided?.input, { workflow_id: workflowIdOf('ask-local-1'), ask_id: 'ask-local-1' })).toEqual({ ok: true });

    const again = await confirm(path, 'decision=deny');
    expect(again.status).toBe(410);
    expect(gateway.decisions).toHaveLength(1);
  });

  it('refuses a link once its ask expired, and on a Host that is not this machine', async () => {
    await seedAsk('ask-local-2');
    const path = await linkPath('ask-local-2', 'teacher-lee');
    expect((await app.request(path, { headers: { host: 'nexus.evil.example' } })).status).toBe(403);
    await redis.hset(keys.ask(tenant, 'ask-local-2'), 'status', 'expired');
    const expired = await app.request(path, { headers: { accept: 'application/json' } });
    expect(expired.status).toBe(410);
    expect((await errorOf(expired)).code).toBe('link_expired');
    expect(gateway.decisions).toHaveLength(0);
  });

  it('answers "again in a moment" for a link whose ask the bridge has not recorded yet, and decides nothing', async () => {
    await seedAsk('ask-local-3');
    const path = await linkPath('ask-local-3', 'teacher-lee');
    // As a link NEXUS sends at once can be opened before the bridge stored its ask_created.
    await redis.del(keys.ask(tenant, 'ask-local-3'));
    const early = await app.request(path, { headers: { accept: 'application/json' } });
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('1');
    expect((await errorOf(early)).code).toBe('backend_unavailable');
    expect((await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"approve"}' })).status).toBe(503);
    expect(gateway.decisions).toHaveLength(0);
  });

  it.each([
    ['bad percent-encoding', '/approve/%E0%A4%A'],
    ['5,000 characters', `/approve/${'a'.repeat(5000)}`],
    ['an encoded path', '/approve/..%2F..%2Fhealth'],
    ['a short one', '/approve/a.b'],
    ['a well-formed one NEXUS never made', `/approve/${'a'.repeat(22)}.${'b'.repeat(43)}`],
  ])('answers a link that is %s with a 404, never a 5xx', async (_name, path) => {
      expect((await app.request(path)).status).toBe(404);
      expect((await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"approve"}' })).status).toBe(404);
  });
});

describe('GET /health', () => {
  it('is 200 when every backend answers', async () => {
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { redis: 'ok', rabbitmq: 'ok', temporal: 'ok' }, addresses });
  });

  it('is 503 naming temporal when the gateway cannot reach it', async () => {
    gateway.pingFailure = new Error('connection refused');
    const res = await app.request('/health');

    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({
      status: 'unavailable',
      failed: ['temporal'],
      checks: { redis: 'ok', rabbitmq: 'ok', temporal: 'error: connection refused' },
      addresses,
    });
  });
});

describe('routing', () => {
  it('answers an unknown route with a JSON 404', async () => {
    const res = await app.request('/no/such/route');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await errorOf(res)).toEqual({ code: 'not_found', message: 'no route for GET /no/such/route' });
  });
});

describe('POST /codec/decode', () => {
  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  });

  it('decrypts, in local mode, a payload the payload codec encrypted', async () => {
    const value = { grades: [90, 85], student: 'kim' };
    const [sealed] = await new AesGcmPayloadCodec(payloadKeys).encode([defaultPayloadConverter.toPayload(value)]);
    if (!sealed) throw new Error('nothing encoded');
    expect(Buffer.from(sealed.metadata?.encoding ?? new Uint8Array()).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(sealed.data ?? new Uint8Array()).toString()).not.toContain('kim');

    const res = await app.request('/codec/decode', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [toJson(sealed)] }),
    });

    expect(res.status).toBe(200);
    const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(body.payloads).toHaveLength(1);
    const [plain] = body.payloads;
    expect(Buffer.from(plain?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(plain?.data ?? '', 'base64').toString())).toEqual(value);
  });

  it('shows the Web UI a refusal, not the content, for a payload NEXUS did not encrypt: what the worker saw', async () => {
    const res = await app.request('/codec/decode', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload({ decision: 'approve' }))] }),
    });
    expect(res.status).toBe(200);
    const [shown] = ((await res.json()) as { payloads: Array<{ data: string }> }).payloads;
    expect(JSON.parse(Buffer.from(shown?.data ?? '', 'base64').toString())).toEqual({ nexus_refused_payload: { reason: 'plaintext', encoding: 'json/plain' } });
  });
});
