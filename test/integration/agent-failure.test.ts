import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAgent, type Agent } from '../../agents/agent.js';
import { AgentError } from '../../agents/agent-error.js';
import type { ReportOf } from '../../contracts/index.js';
import { SseRecorder } from '../support/sse-client.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'failures' };
const env = isolatedEnv('fail', { NEXUS_AGENT_MAX_ATTEMPTS: '3', NEXUS_AGENT_RETRY_INTERVAL: '50ms' });
const attempts = new Map<string, number>();

const countAttempt = (key: string) => {
  const n = (attempts.get(key) ?? 0) + 1;
  attempts.set(key, n);
  return n;
};

/** Test-only agents: failures the real world produces, on demand. */
const testAgents = [
  defineAgent({
    name: 'flaky', description: 'fails twice, then works', params: z.object({ key: z.string() }), risk: 'GREEN',
    summarize: () => ({ title: 'flaky', description: 'flaky' }),
    run: async ({ key }) => {
      if (countAttempt(key) < 3) throw new AgentError('upstream_busy', 'try again', true);
      return { ok: true };
    },
  }),
  defineAgent({
    name: 'always_down', description: 'always fails, retryably', params: z.object({ key: z.string() }), risk: 'GREEN',
    summarize: () => ({ title: 'down', description: 'down' }),
    run: async ({ key }) => {
      countAttempt(key);
      throw new AgentError('upstream_down', 'the upstream is down', true);
    },
  }),
  defineAgent({
    name: 'refuses', description: 'fails for good at once', params: z.object({ key: z.string() }), risk: 'GREEN',
    summarize: () => ({ title: 'refuses', description: 'refuses' }),
    run: async ({ key }) => {
      countAttempt(key);
      throw new AgentError('bad_recipient', 'no such recipient', false);
    },
  }),
  defineAgent({
    name: 'crashes', description: 'throws a plain error', params: z.object({ key: z.string() }), risk: 'GREEN',
    summarize: () => ({ title: 'crashes', description: 'crashes' }),
    run: async ({ key }) => {
      countAttempt(key);
      throw new TypeError('undefined is not a function');
    },
  }),
] as Agent[];

let nexus: RunningNexus;
beforeAll(async () => {
  nexus = await bootNexus(env, testLogger(env).logger, { extraAgents: testAgents });
});
afterAll(async () => {
  await nexus?.stop();
  await cleanupEnv(env);
});

async function run(agent: string) {
  const key = `${agent}-${Date.now()}`;
  const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId: key });
  const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent, params: { key }, correlation_id: key }, tenant);
  expect(res.status).toBe(202);
  const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed'));
  stream.close();
  return { key, reports };
}

describe('agent failures', () => {
  it('retries a retryable failure per the retry policy and completes', async () => {
    const { key, reports } = await run('flaky');
    expect(reports.map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    expect(attempts.get(key)).toBe(3);
  });

  it('gives up after the configured attempts with task_failed and the stable code', async () => {
    const { key, reports } = await run('always_down');
    const failed = reports.find((r): r is ReportOf<'task_failed'> => r.report_type === 'task_failed');
    expect(failed?.payload.error).toEqual({ code: 'upstream_down', message: 'the upstream is down', retryable: true });
    expect(attempts.get(key)).toBe(3);
  });

  it('does not retry a non-retryable failure', async () => {
    const { key, reports } = await run('refuses');
    const failed = reports.find((r): r is ReportOf<'task_failed'> => r.report_type === 'task_failed');
    expect(failed?.payload.error).toEqual({ code: 'bad_recipient', message: 'no such recipient', retryable: false });
    expect(attempts.get(key)).toBe(1);
  });

  it('reports an unexpected crash as agent_failed after retries', async () => {
    const { key, reports } = await run('crashes');
    const failed = reports.find((r): r is ReportOf<'task_failed'> => r.report_type === 'task_failed');
    expect(failed?.payload.error.code).toBe('agent_failed');
    expect(attempts.get(key)).toBe(3);
  });
});
