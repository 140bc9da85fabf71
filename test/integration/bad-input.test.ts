import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiErrorBody } from '../../contracts/index.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus, temporalClient } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'bad-input' };
const env = isolatedEnv('bad', { NEXUS_MAX_BODY_BYTES: '4096' });
let nexus: RunningNexus;
let temporal: Client;

beforeAll(async () => {
  nexus = await bootNexus(env, testLogger(env).logger);
  temporal = await temporalClient(env);
});
afterAll(async () => {
  await nexus?.stop();
  await temporal?.connection.close();
  await cleanupEnv(env);
});

async function workflowsOnTaskQueue(): Promise<number> {
  let n = 0;
  for await (const _ of temporal.workflow.list({ query: `TaskQueue = '${env.TEMPORAL_TASK_QUEUE}'` })) n++;
  return n;
}

async function raw(path: string, init: RequestInit & { headers?: Record<string, string> }) {
  const response = await fetch(new URL(path, nexus.baseUrl), {
    method: 'POST',
    ...init,
    headers: { 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id, ...init.headers },
  });
  return { status: response.status, body: await response.json() };
}

const echo = { type: 'agent.run', agent: 'echo', params: {} };

describe('bad input gets a clear 4xx and starts nothing', () => {
  const cases: Array<[string, () => Promise<{ status: number; body: unknown }>, number, string, string?]> = [
    ['malformed JSON', () => raw('/sidecar/command', { body: '{"type":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json'],
    ['wrong content type', () => raw('/sidecar/command', { body: JSON.stringify(echo), headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
    ['no content type', () => raw('/sidecar/command', { body: JSON.stringify(echo) }), 415, 'unsupported_media_type'],
    ['oversized body', () => post(nexus.baseUrl, '/sidecar/command', { ...echo, params: { blob: 'x'.repeat(10_000) } }, tenant), 413, 'payload_too_large'],
    ['unknown agent', () => post(nexus.baseUrl, '/sidecar/command', { ...echo, agent: 'rm_rf' }, tenant), 400, 'unknown_agent', 'agent'],
    ['params failing the agent schema', () => post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'external_share', params: { url: 'not a url', payload: 1 } }, tenant), 400, 'invalid_params', 'params.url'],
    ['unknown param on a strict agent', () => post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'external_share', params: { url: 'https://example.org', payload: 1, extra: true } }, tenant), 400, 'invalid_params', 'params'],
    ['unknown command type', () => post(nexus.baseUrl, '/sidecar/command', { type: 'shell', agent: 'echo' }, tenant), 400, 'invalid_request', 'type'],
    ['a risk level that does not exist', () => post(nexus.baseUrl, '/sidecar/command', { ...echo, risk_level: 'BLUE' }, tenant), 400, 'invalid_request', 'risk_level'],
    ['a command_id with a newline', () => post(nexus.baseUrl, '/sidecar/command', { ...echo, command_id: 'a\nb' }, tenant), 400, 'invalid_request', 'command_id'],
    ['a correlation_id too long', () => post(nexus.baseUrl, '/sidecar/command', { ...echo, correlation_id: 'c'.repeat(129) }, tenant), 400, 'invalid_request', 'correlation_id'],
    ['an unknown top-level field', () => post(nexus.baseUrl, '/sidecar/command', { ...echo, approved: true }, tenant), 400, 'invalid_request'],
    ['a JSON array body', () => post(nexus.baseUrl, '/sidecar/command', [echo], tenant), 400, 'invalid_request'],
    ['params nested 1,000 deep (would overflow digest and payload code)', () => post(nexus.baseUrl, '/sidecar/command', `{"type":"agent.run","agent":"echo","command_id":"deep","params":{"a":${'['.repeat(1000)}${']'.repeat(1000)}}}`, tenant), 400, 'invalid_request'],
    ['a stream cursor beyond 64 bits', async () => {
      const res = await fetch(new URL('/agent/reports/stream?org_id=acme&project_id=x&cursor=99999999999999999999-0', nexus.baseUrl));
      return { status: res.status, body: await res.json() };
    }, 400, 'invalid_request'],
    ['bad org id', () => post(nexus.baseUrl, '/sidecar/command', echo, { org_id: 'ACME!', project_id: 'x' }), 400, 'invalid_tenant', 'org_id'],
    ['missing project id', () => raw('/sidecar/command', { body: JSON.stringify(echo), headers: { 'content-type': 'application/json', 'x-project-id': '' } }), 400, 'invalid_tenant', 'project_id'],
    ['a decision that is neither approve nor deny', () => post(nexus.baseUrl, '/approvals/abc/decide', { decision: 'maybe' }, tenant), 400, 'invalid_request', 'decision'],
    ['a malformed digest', () => post(nexus.baseUrl, '/approvals/abc/decide', { decision: 'approve', action_digest: 'md5:1' }, tenant), 400, 'invalid_request', 'action_digest'],
    ['a decision without the digest the approver saw', () => post(nexus.baseUrl, '/approvals/abc/decide', { decision: 'approve' }, tenant), 400, 'invalid_request', 'action_digest'],
    ['an unknown ask', () => post(nexus.baseUrl, '/approvals/no-such-ask/decide', { decision: 'approve', action_digest: `sha256:${'0'.repeat(64)}` }, tenant), 404, 'not_found'],
    ['an unknown route', () => post(nexus.baseUrl, '/sidecar/commands', echo, tenant), 404, 'not_found'],
  ];

  it.each(cases)('%s → %i %s', async (_name, send, status, code, path) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = ApiErrorBody.parse(res.body);
    expect(body.error.code).toBe(code);
    expect(body.error.message).not.toMatch(/at .*\.ts:\d+/);
    if (path) expect(body.error.issues?.map((i) => i.path).join(' ')).toContain(path);
  });

  it('refuses, in local mode, a request addressed to another host name (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const url = new URL(nexus.baseUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/sidecar/command', method: 'POST', headers: { host: 'evil.example:80', 'content-type': 'application/json', 'x-org-id': 'acme', 'x-project-id': 'x' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(echo));
    });
    expect(status).toBe(403);
  });

  it('started no workflow for any of them (a valid command after them is the only one)', async () => {
    const valid = await post(nexus.baseUrl, '/sidecar/command', echo, tenant);
    expect(valid.status).toBe(202);
    await temporal.workflow.getHandle(valid.body.workflow_id).result();
    let count = 0;
    // Visibility lags a little; wait until the valid one shows up, then nothing else may be there.
    for (let i = 0; i < 50 && count === 0; i++) {
      count = await workflowsOnTaskQueue();
      if (count === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(count).toBe(1);
  });
});
