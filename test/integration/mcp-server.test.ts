import { Redis } from 'ioredis';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_CORRELATION_META, type McpCommandOutcome, type Report, type ReportOf, type Tenant } from '../../contracts/index.js';
import { TokenStore } from '../../api/auth/token-store.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { auditEntries } from '../support/audit-entries.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, REDIS_URL, testLogger, type RunningNexus } from '../support/nexus-under-test.js';
import { FakeLlmServer } from '../support/fake-llm-server.js';
import { SseRecorder } from '../support/sse-client.js';
import { tokenMinter } from '../support/token-minter.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * NEXUS as an MCP server, driven by the official MCP client library over Streamable HTTP against a whole NEXUS on
 * the real services: agents as tools, a call as a command (the stream says so), progress as notifications, a RED
 * call waiting for a person and answering with the result or the denial, and every refusal changing nothing.
 */
const receiver = new WebhookReceiver();
const llm = new FakeLlmServer('fake-claude');
// Waiting tool calls take the slots of SSE clients: a small number makes the limit quick to reach.
const env = isolatedEnv('mcp', { NEXUS_SSE_MAX_CLIENTS_PER_PRINCIPAL: '4' });
const t: Tenant = { org_id: 'acme', project_id: 'mcp' };
let nexus: RunningNexus;
let hook: string;
let auditRedis: Redis;

beforeAll(async () => {
  hook = await receiver.start();
  await llm.start();
  Object.assign(env, { NEXUS_SHARE_ALLOWLIST: new URL(hook).origin, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url, LLM_PRIMARY_PROVIDER: 'anthropic', LLM_TIMEOUT: '2s' });
  nexus = await bootNexus(env, testLogger(env).logger);
  auditRedis = new Redis(REDIS_URL);
}, 120_000);
afterAll(async () => {
  await nexus?.stop();
  await auditRedis?.quit();
  await receiver.stop();
  await llm.stop();
  await cleanupEnv(env);
});

const unique = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const byType = <T extends Report['report_type']>(rs: Report[], type: T) => rs.filter((r): r is ReportOf<T> => r.report_type === type);

async function connect(baseUrl: string, headers: Record<string, string>, path = '/mcp'): Promise<Client> {
  const client = new Client({ name: 'nexus-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(path, baseUrl), { requestInit: { headers } }));
  return client;
}

const local = (user = 'assistant-amy') => ({ 'x-org-id': t.org_id, 'x-project-id': t.project_id, 'x-user-id': user });

/** A tool call with progress recorded; the call's own timeout is reset by each notification, as a long wait needs. */
function call(client: Client, name: string, args: Record<string, unknown>, correlationId?: string, signal?: AbortSignal) {
  const progress: Progress[] = [];
  const result = client.callTool(
    { name, arguments: args, ...(correlationId ? { _meta: { [MCP_CORRELATION_META]: correlationId } } : {}) },
    undefined,
    { onprogress: (p) => progress.push(p), resetTimeoutOnProgress: true, timeout: 30_000, ...(signal ? { signal } : {}) },
  ) as Promise<CallToolResult>;
  return { result, progress };
}

const outcomeOf = (result: CallToolResult) => result.structuredContent as McpCommandOutcome;
const delivered = (correlationId: string) => receiver.deliveries.filter((d) => d.correlationId === correlationId).length;

/** A RED share sent as a tool call, once its ask is on the stream (recorded from before the call). */
async function redCall(label: string, payload: Record<string, unknown>, signal?: AbortSignal) {
  const correlationId = unique(label);
  const stream = await SseRecorder.open(nexus.baseUrl, t, { correlationId });
  const client = await connect(nexus.baseUrl, local());
  const { result, progress } = call(client, 'external_share', { url: `${hook}/${label}`, payload }, correlationId, signal);
  const [ask] = byType(await stream.waitFor((rs) => rs.some((r) => r.report_type === 'ask_created'), 20_000, `ask_created of ${label}`), 'ask_created');
  return { correlationId, stream, client, result, progress, ask: ask! };
}

async function decide(ask: ReportOf<'ask_created'>, decision: 'approve' | 'deny', reason?: string): Promise<void> {
  const body = { decision, action_digest: ask.payload.action_digest, ...(reason ? { reason } : {}) };
  const res = await post(nexus.baseUrl, `/approvals/${ask.payload.ask_id}/decide`, body, t, { 'x-user-id': 'principal-park' });
  expect(res.status).toBe(202);
}
const textOf = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('NEXUS as an MCP server', () => {
  it('lists every agent as a tool with its params schema, and instruction; RED ones say they wait for people', async () => {
    const client = await connect(nexus.baseUrl, local());
    const { tools } = await client.listTools();
    const catalog = (await (await fetch(new URL('/agents', nexus.baseUrl))).json()) as { agents: Array<{ name: string; params_schema: Record<string, unknown>; risk_level: string }> };
    expect(tools.map((tool) => tool.name).sort()).toEqual(['instruction', ...catalog.agents.map((a) => a.name)].sort());
    for (const agent of catalog.agents) {
      const tool = tools.find((candidate) => candidate.name === agent.name);
      expect(tool?.inputSchema).toEqual({ ...agent.params_schema, type: 'object' });
      expect(tool?.annotations?.destructiveHint).toBe(agent.risk_level === 'RED');
    }
    expect(tools.find((tool) => tool.name === 'external_share')?.description).toMatch(/RED: every call waits for a person/);
    expect(tools.find((tool) => tool.name === 'instruction')?.inputSchema.properties).toHaveProperty('text');
    expect(client.getServerVersion()?.name).toBe('nexus');
    await client.close();
  });

  it('a GREEN call is a command on the stream, with progress as notifications and the agent result as the answer', async () => {
    const correlationId = unique('mcp-green');
    const stream = await SseRecorder.open(nexus.baseUrl, t, { correlationId });
    const client = await connect(nexus.baseUrl, local());
    const { result, progress } = call(client, 'echo', { message: 'hello over MCP' }, correlationId);
    const answer = await result;
    expect(answer.isError).toBeFalsy();
    const outcome = outcomeOf(answer);
    expect(outcome).toMatchObject({ status: 'completed', correlation_id: correlationId, risk_level: 'GREEN', approvals: [] });
    // The stream, the dashboard's truth, holds the same command and result.
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed of the MCP call');
    const completed = byType(reports, 'task_completed')[0];
    expect(completed?.workflow_id).toBe(outcome.workflow_id);
    expect(outcome.result).toEqual(completed?.payload.result);
    expect(byType(reports, 'command_accepted')[0]?.payload).toMatchObject({ type: 'agent.run', agent: 'echo', requested_by: 'assistant-amy' });
    expect(progress.map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringMatching(/^accepted; follow it on http.*\/ui\/commands\/mcp-green/), 'running echo']));
    expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));
    stream.close();
    await client.close();
  });

  it("instruction is planned like any instruction command: the plan as progress, the planned call's result as the answer", async () => {
    llm.reply('say hello over MCP', {
      toolCalls: [
        { name: 'echo', input: { note: 'hello' } },
        { name: 'describe_plan', input: { title: 'Say hello', description: 'Say hello — details for the approver', language: 'en', suggested_risk: 'GREEN' } },
      ],
    });
    const client = await connect(nexus.baseUrl, local());
    const { result, progress } = call(client, 'instruction', { text: 'say hello over MCP' }, unique('mcp-instruction'));
    const answer = await result;
    expect(outcomeOf(answer)).toMatchObject({ status: 'completed', approvals: [] });
    expect(JSON.stringify(outcomeOf(answer).result)).toContain('hello');
    expect(progress.map((p) => p.message)).toContain('planned "Say hello": echo');
    await client.close();
  });

  it('two calls with the same correlation id each answer with their own command', async () => {
    const correlationId = unique('mcp-twins');
    const client = await connect(nexus.baseUrl, local());
    const [a, b] = await Promise.all([call(client, 'echo', { message: 'first' }, correlationId).result, call(client, 'echo', { message: 'second' }, correlationId).result]);
    expect(outcomeOf(a!).workflow_id).not.toBe(outcomeOf(b!).workflow_id);
    expect(JSON.stringify(outcomeOf(a!).result)).toContain('first');
    expect(JSON.stringify(outcomeOf(b!).result)).toContain('second');
    await client.close();
  });

  it('a RED call waits for a person, tells the caller where, and answers with the result once approved', async () => {
    const red = await redCall('mcp-red', { grades: [1, 2] });
    await until(async () => red.progress.some((p) => p.message?.includes(`ask ${red.ask.payload.ask_id}`) ?? false), 20_000, 'the ask as a progress line');
    expect(delivered(red.correlationId)).toBe(0);
    await decide(red.ask, 'approve', 'fine');
    const answer = await red.result;
    expect(answer.isError).toBeFalsy();
    expect(outcomeOf(answer)).toMatchObject({ status: 'completed', risk_level: 'RED', approvals: [{ ask_id: red.ask.payload.ask_id, decision: 'approve', decided_by: 'principal-park', reason: 'fine' }] });
    expect(delivered(red.correlationId)).toBe(1);
    red.stream.close();
    await red.client.close();
  });

  it('a denied RED call answers with an error saying who denied it and why; nothing is sent', async () => {
    const red = await redCall('mcp-deny', { grades: [3] });
    await decide(red.ask, 'deny', 'not to that address');
    const answer = await red.result;
    expect(answer.isError).toBe(true);
    expect(outcomeOf(answer)).toMatchObject({ status: 'cancelled', approvals: [{ decision: 'deny', decided_by: 'principal-park', reason: 'not to that address' }] });
    expect(textOf(answer)).toMatch(/^cancelled: /);
    await red.stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_cancelled'), 10_000, 'task_cancelled');
    expect(delivered(red.correlationId)).toBe(0);
    red.stream.close();
    await red.client.close();
  });

  it('a caller that goes away leaves its command waiting for people, who still decide it', async () => {
    const abort = new AbortController();
    const red = await redCall('mcp-away', { n: 1 }, abort.signal);
    red.stream.close();
    abort.abort();
    await expect(red.result).rejects.toThrow();
    await red.client.close();
    // The call's watch of the report feed ends with its caller: with no dashboard open, the tenant's feed closes.
    await until(async () => nexus.runtime.api!.feeds.feedCount === 0, 10_000, "the MCP call's report watch to end after its caller left");
    await decide(red.ask, 'approve');
    await until(async () => delivered(red.correlationId) > 0, 20_000, 'the share approved after its caller left');
    expect(delivered(red.correlationId)).toBe(1);
  });

  it('a call its client cancels stops waiting at once, while the client stays connected; the command waits for people', async () => {
    const abort = new AbortController();
    const red = await redCall('mcp-cancel', { n: 2 }, abort.signal);
    red.stream.close();
    // The SDK sends notifications/cancelled in a request of its own; the response stream of the call stays open.
    abort.abort();
    await expect(red.result).rejects.toThrow();
    await until(async () => nexus.runtime.api!.feeds.feedCount === 0, 10_000, 'the cancelled call to let go of the report feed');
    await decide(red.ask, 'deny');
    expect(outcomeOf(await call(red.client, 'echo', { after: 'cancel' }).result).status).toBe('completed');
    await red.client.close();
  });

  it('writes each call into the audit log, as the command or the refusal it is', async () => {
    const client = await connect(nexus.baseUrl, local('audited-ann'));
    const accepted = unique('mcp-audit');
    await call(client, 'echo', { n: 1 }, accepted).result;
    await call(client, 'external_share', { url: 7 }, unique('mcp-audit-bad')).result;
    await client.close();
    const entries = (await auditEntries(auditRedis, new RedisKeys(env.NEXUS_REDIS_PREFIX ?? ''), t.org_id)).filter((e) => e.principal === 'audited-ann');
    expect(entries).toEqual(expect.arrayContaining([
      expect.objectContaining({ event: 'command', path: '/mcp', tool: 'echo', status: '202', correlation_id: accepted, project_id: t.project_id }),
      expect.objectContaining({ event: 'refused', path: '/mcp', tool: 'external_share', status: '400', code: 'invalid_params' }),
    ]));
    // The client's GET for a server stream (405 here) is how MCP works, not a refusal to count.
    expect(entries.filter((e) => e.status === '405')).toEqual([]);
    expect(entries.filter((e) => e.path === '/mcp')).toHaveLength(2);
  });

  it('refuses bad calls as tool errors with the API codes, and none of them starts a command', async () => {
    const stream = await SseRecorder.open(nexus.baseUrl, t);
    const client = await connect(nexus.baseUrl, local());
    const refused = [unique('mcp-bad-params'), unique('mcp-bad-agent'), unique('mcp-approve'), unique('mcp-floor')];
    const answers = [
      await call(client, 'external_share', { url: 42, payload: {} }, refused[0]).result,
      await call(client, 'no_such_agent', {}, refused[1]).result,
      // There is no approval tool: an assistant that asks can never decide.
      await call(client, 'approvals.decide', { decision: 'approve' }, refused[2]).result,
      // Nor can it lower what it sends: an instruction takes text and files only.
      await call(client, 'instruction', { text: 'share the grades', risk_level: 'GREEN' }, refused[3]).result,
      await call(client, 'echo', { message: 'x' }, 'not a key!').result,
    ];
    for (const answer of answers) expect(answer.isError).toBe(true);
    expect(textOf(answer(0))).toMatch(/^invalid_params: /);
    expect(textOf(answer(1))).toMatch(/^unknown_agent: /);
    expect(textOf(answer(2))).toMatch(/^unknown_agent: /);
    expect(textOf(answer(3))).toMatch(/^invalid_request: /);
    expect(textOf(answer(4))).toMatch(/nexus\/correlation_id/);
    // A call after them reaches the stream; none of theirs did before it.
    const after = unique('mcp-after');
    await call(client, 'echo', { message: 'after' }, after).result;
    const reports = await stream.waitFor((rs) => rs.some((r) => r.correlation_id === after && r.report_type === 'task_completed'), 20_000, 'the call after the refusals');
    expect(reports.filter((r) => refused.includes(r.correlation_id))).toEqual([]);
    stream.close();
    await client.close();

    function answer(i: number): CallToolResult {
      return answers[i]!;
    }
  });

  it('a caller gets as many waiting calls as it may have open streams; the next is refused until one ends', async () => {
    const stream = await SseRecorder.open(nexus.baseUrl, t);
    const client = await connect(nexus.baseUrl, local('busy-bob'));
    const labels = [1, 2, 3, 4].map((n) => unique(`mcp-slot-${n}`));
    const waiting = labels.map((label) => call(client, 'external_share', { url: `${hook}/slots`, payload: { label } }, label).result);
    const asks = byType(await stream.waitFor((rs) => labels.every((label) => rs.some((r) => r.correlation_id === label && r.report_type === 'ask_created')), 20_000, 'the four asks'), 'ask_created')
      .filter((ask) => labels.includes(ask.correlation_id));
    const fifth = await call(client, 'echo', { n: 5 }, unique('mcp-slot-5')).result;
    expect(fifth.isError).toBe(true);
    expect(textOf(fifth)).toMatch(/^rate_limited: at most 4 open streams and waiting tool calls/);
    for (const ask of asks) {
      await decide(ask, 'deny');
    }
    for (const answer of await Promise.all(waiting)) expect(outcomeOf(answer).status).toBe('cancelled');
    expect(outcomeOf(await call(client, 'echo', { n: 6 }).result).status).toBe('completed');
    stream.close();
    await client.close();
  });

  it('answers plain HTTP mistakes with clear 4xx errors', async () => {
    const url = new URL('/mcp', nexus.baseUrl);
    const get = await fetch(url, { headers: { ...local(), accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const notJson = await fetch(url, { method: 'POST', headers: { ...local(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":' });
    expect(notJson.status).toBe(400);
    const noTenant = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(noTenant.status).toBe(400);
    expect(((await noTenant.json()) as { error: { code: string } }).error.code).toBe('invalid_tenant');
    const batch = await fetch(url, { method: 'POST', headers: { ...local(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }]) });
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as { error: { message: string } }).error.message).toMatch(/not a batch/);
    const rpc = (body: unknown, headers: Record<string, string> = local(), target = url) =>
      fetch(target, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(body) });
    for (const args of [[], 'str', 5, null]) {
      const bad = await rpc({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: args } });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^tools\/call: params\.arguments/) });
    }
    const noVersion = await rpc({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
    expect(noVersion.status).toBe(400);
    // A tenant pieced together from headers and query is refused, not guessed.
    const mixed = await rpc({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'x-org-id': t.org_id, 'x-project-id': t.project_id }, new URL(`/mcp?org_id=${t.org_id}&project_id=elsewhere`, nexus.baseUrl));
    expect(mixed.status).toBe(400);
    expect(((await mixed.json()) as { error: { code: string } }).error.code).toBe('invalid_tenant');
    const put = await fetch(url, { method: 'PUT', headers: local() });
    expect(put.status).toBe(405);
    const notRpc = await fetch(url, { method: 'POST', headers: { ...local(), 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"hello":1}' });
    expect(notRpc.status).toBe(400);
  });
});

describe('NEXUS as an MCP server with tokens', () => {
  const tokensEnv = isolatedEnv('mcp-tokens', { NEXUS_AUTH: 'tokens', NEXUS_AUTH_CACHE_TTL: '1s', NEXUS_REFUSAL_LIMIT_PER_MIN: '3' });
  let secured: RunningNexus;
  let redis: Redis;
  let tokens: TokenStore;
  const mint = tokenMinter(() => tokens, t, 'mcp-test');
  beforeAll(async () => {
    secured = await bootNexus(tokensEnv, testLogger(tokensEnv).logger);
    redis = new Redis(REDIS_URL);
    tokens = new TokenStore(redis, secured.config.redis.prefix, 0);
  }, 120_000);
  afterAll(async () => {
    await secured?.stop();
    await redis?.quit();
    await cleanupEnv(tokensEnv);
  });

  it('takes only an operator of the project; the command runs as the token, tenant from the URL for clients that set no headers', async () => {
    const [operator, viewer, approver, elsewhere, stranger] = await Promise.all([
      mint(['operator', 'viewer']), mint(['viewer']), mint(['approver']), mint(['operator'], ['another']), mint(['operator'], '*', 'globex'),
    ]);
    const tenantQuery = `/mcp?org_id=${t.org_id}&project_id=${t.project_id}`;
    await expect(connect(secured.baseUrl, {}, tenantQuery)).rejects.toThrow(/unauthorized/);
    for (const who of [viewer, approver, elsewhere, stranger]) await expect(connect(secured.baseUrl, who.auth, tenantQuery)).rejects.toThrow(/forbidden/);

    const correlationId = unique('mcp-token');
    const ticket = await post(secured.baseUrl, '/auth/stream-ticket', {}, t, operator.auth);
    expect(ticket.status).toBe(201);
    const stream = await SseRecorder.open(secured.baseUrl, t, { correlationId, ticket: ticket.body.ticket as string, tenantInQuery: true });
    const client = await connect(secured.baseUrl, operator.auth, tenantQuery);
    const answer = await call(client, 'echo', { message: 'as a token' }, correlationId).result;
    expect(outcomeOf(answer).status).toBe('completed');
    const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed'), 20_000, 'task_completed of the token call');
    expect(byType(reports, 'command_accepted')[0]?.payload.requested_by).toBe(operator.id);
    stream.close();
    await client.close();
  });

  it("guessing tokens on /mcp spends the caller's refusal budget like any tenant route", async () => {
    const statuses: number[] = [];
    // Ten against a budget of three: whichever minute they fall in, one window sees more than three.
    for (let i = 0; i < 10; i++) {
      const res = await fetch(new URL(`/mcp?org_id=${t.org_id}&project_id=${t.project_id}`, secured.baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer nxs_guess${i}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(0);
  });
});
