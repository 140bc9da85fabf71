import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ReportOf } from '../../contracts/index.js';
import { FakeLlmServer } from '../support/fake-llm-server.js';
import { SseRecorder } from '../support/sse-client.js';
import { bootNexus, cleanupEnv, isolatedEnv, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

const tenant = { org_id: 'school', project_id: 'summaries' };
const otherTenant = { org_id: 'school', project_id: 'elsewhere' };
const llm = new FakeLlmServer('fake-claude');
let nexus: RunningNexus;
let env: Record<string, string>;

beforeAll(async () => {
  await llm.start();
  env = isolatedEnv('summarize', { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: llm.url, NEXUS_AGENT_RETRY_INTERVAL: '100ms' });
  nexus = await bootNexus(env, testLogger(env).logger);
});
afterAll(async () => {
  await nexus?.stop();
  await llm.stop();
  await cleanupEnv(env);
});

async function run(t: typeof tenant, agent: string, params: Record<string, unknown>, correlationId: string): Promise<Report[]> {
  const stream = await SseRecorder.open(nexus.baseUrl, t, { correlationId });
  const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent, params, correlation_id: correlationId }, t);
  expect(res.status).toBe(202);
  const reports = await stream.waitFor((rs) => rs.some((r) => r.report_type === 'task_completed' || r.report_type === 'task_failed'));
  stream.close();
  return reports;
}
const completed = (rs: Report[]) => rs.find((r): r is ReportOf<'task_completed'> => r.report_type === 'task_completed');
const failed = (rs: Report[]) => rs.find((r): r is ReportOf<'task_failed'> => r.report_type === 'task_failed');

describe('report.summarize', () => {
  it('summarises given text with the LLM', async () => {
    const text = 'Grades for March: 3A average 84, 3B average 79. Two students need follow-up.';
    llm.reply(text, { toolCalls: [{ name: 'submit_summary', input: { summary: '3A did better than 3B; two students need follow-up.' } }] });
    const result = completed(await run(tenant, 'report.summarize', { text }, `sum-text-${Date.now()}`))?.payload.result;
    expect(result).toEqual({ summary: '3A did better than 3B; two students need follow-up.', source: 'text', provider: 'anthropic', model: 'fake-claude' });
  });

  it("summarises an earlier command's result of the same tenant, and cannot read another tenant's", async () => {
    const earlier = `earlier-${Date.now()}`;
    await run(tenant, 'echo', { report: 'attendance 97%' }, earlier);
    const source = JSON.stringify({ report: 'attendance 97%' }, null, 2);
    llm.reply(source, { toolCalls: [{ name: 'submit_summary', input: { summary: 'Attendance was 97%.' } }] });
    // Visibility is eventually consistent: the lookup may need a moment to see the finished command.
    let result: unknown;
    for (let i = 0; i < 10 && !result; i++) {
      const reports = await run(tenant, 'report.summarize', { correlation_id: earlier }, `sum-ref-${Date.now()}-${i}`);
      result = completed(reports)?.payload.result;
      if (!result) await new Promise((r) => setTimeout(r, 300));
    }
    expect(result).toMatchObject({ summary: 'Attendance was 97%.', source: earlier });

    const foreign = failed(await run(otherTenant, 'report.summarize', { correlation_id: earlier }, `sum-foreign-${Date.now()}`));
    expect(foreign?.payload.error.code).toBe('source_not_found');
  });

  it('refuses params with both or neither source', async () => {
    for (const params of [{}, { text: 'a', correlation_id: 'b' }]) {
      const res = await post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'report.summarize', params }, tenant);
      expect(res.status).toBe(400);
    }
  });
});
