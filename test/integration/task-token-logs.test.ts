import { readFileSync } from 'node:fs';
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAgent, type Agent } from '../../agents/agent.js';
import { SseRecorder } from '../support/sse-client.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'tokens-in-logs' };
// One attempt, and a start-to-close timeout the slow agent outlives, so core has a late completion to complain about.
const env = isolatedEnv('task-token-logs', { NEXUS_AGENT_MAX_ATTEMPTS: '1', NEXUS_AGENT_TIMEOUT: '1s' });
const { logger, logFile } = testLogger(env);
/** Every task token the agents saw: none may reach the log file. */
const seen: string[] = [];

function currentTaskToken(): string {
  const token = Context.current().info.base64TaskToken;
  seen.push(token);
  return token;
}

/** Test-only agents that put their task token where a careless line would log it. */
const agents = [
  defineAgent({
    name: 'leaky', description: 'logs its task token, then fails', params: z.object({}), risk: 'GREEN',
    summarize: () => ({ title: 'leaky', description: 'leaky' }),
    run: async (_params, ctx) => {
      const token = currentTaskToken();
      ctx.logger.warn({ detail: { taskToken: token }, task_token: token, note: `retrying with ${token}` }, `heartbeat for TaskToken(${token}) failed`);
      // A plain error: the SDK logs "Activity failed" at warn level with the activity's attributes, token included.
      throw new Error(`upstream refused task ${token}`);
    },
  }),
  defineAgent({
    name: 'late', description: 'finishes after its attempt timed out', params: z.object({}), risk: 'GREEN',
    summarize: () => ({ title: 'late', description: 'late' }),
    run: async () => {
      currentTaskToken();
      await new Promise((r) => setTimeout(r, 2_500));
      return { late: true };
    },
  }),
] as Agent[];

let nexus: RunningNexus;
beforeAll(async () => {
  nexus = await bootNexus(env, logger, { extraAgents: agents });
});
afterAll(async () => {
  await nexus?.stop();
  await cleanupEnv(env);
});

async function runToFailure(agent: string): Promise<void> {
  const correlationId = `${agent}-${Date.now()}`;
  const stream = await SseRecorder.open(nexus.baseUrl, tenant, { correlationId });
  const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent, params: {}, correlation_id: correlationId }, tenant);
  expect(res.status).toBe(202);
  await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_failed'), 30_000, `${agent} task_failed`);
  stream.close();
}

describe('activity task tokens never reach a log line', () => {
  it('are redacted from SDK, core and NEXUS lines alike, which are still written', async () => {
    await runToFailure('leaky');
    await runToFailure('late');
    // The late agent outlives its attempt's timeout; whatever core says about it arrives through the log forwarder.
    await new Promise((r) => setTimeout(r, 3_500));

    const text = readFileSync(logFile, 'utf8');
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const token of seen) {
      expect(text.includes(token), 'a task token in the log').toBe(false);
      expect(text.includes(Buffer.from(token, 'base64').toString('base64url')), 'a base64url task token in the log').toBe(false);
    }
    const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    // The lines that carried a token are there, minus the token.
    const failed = lines.find((l) => l.msg === 'Activity failed' && l.activityType === 'runAgent');
    expect(failed, 'the SDK logs the failed attempt').toBeDefined();
    expect(failed).not.toHaveProperty('taskToken');
    expect(failed).toHaveProperty('workflowId');
    const ours = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('heartbeat for TaskToken('));
    expect(ours).toMatchObject({ msg: 'heartbeat for TaskToken([redacted]) failed', note: 'retrying with [redacted task token]', detail: {} });
    expect(ours).not.toHaveProperty('task_token');
    // Core's own warnings (their `taskToken` field reads `TaskToken(<base64>)`) come through our logger, not straight
    // to stderr. Since every agent run heartbeats, core tracks the late attempt's timeout itself and drops its late
    // completion quietly, so a core line may not appear here; infra/logger.test.ts scrubs core's format directly.
    for (const core of lines.filter((l) => l.sdkComponent === 'core')) expect(core).not.toHaveProperty('taskToken');
  });
});
