import { describe, expect, it } from 'vitest';
import type { Action, ActionAssessment, Report, Tenant } from '../contracts/index.js';
import { createLogger } from '../infra/logger.js';
import { createPublishAndAssess } from './publish-and-assess.js';

const tenant: Tenant = { org_id: 'acme', project_id: 'p' };
const action: Action = { agent: 'echo', params: { a: 1 } };
const report = { report_type: 'command_accepted', correlation_id: 'c-1' } as Report;
const verdict = { declared_risk: 'GREEN', policy_risk: 'GREEN' } as ActionAssessment;

function harness(assess: () => Promise<ActionAssessment>, publish: () => Promise<void> = async () => undefined, deadlineMs?: number) {
  const calls: string[] = [];
  const run = createPublishAndAssess({
    publish: async (reports) => { calls.push(`publish ${reports.map((r) => r.report_type).join(',')}`); await publish(); },
    assess: async (input) => { calls.push(`assess ${input.action.agent}`); return assess(); },
    logger: createLogger('silent'),
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
  });
  return { calls, run: () => run({ reports: [report], tenant, action }) };
}

describe('publishAndAssess', () => {
  it('publishes the opening reports, then assesses the action', async () => {
    const { calls, run } = harness(async () => verdict);
    expect(await run()).toBe(verdict);
    expect(calls).toEqual(['publish command_accepted', 'assess echo']);
  });

  it('answers null when the assessment fails, so the workflow assesses again with retries', async () => {
    const { calls, run } = harness(async () => { throw new Error('policy file unreadable'); });
    expect(await run()).toBeNull();
    expect(calls).toEqual(['publish command_accepted', 'assess echo']);
  });

  it('answers null when the assessment takes longer than its deadline', async () => {
    const { run } = harness(() => new Promise(() => undefined), undefined, 20);
    expect(await run()).toBeNull();
  });

  it('fails (to be retried) when the reports cannot be published, and assesses nothing', async () => {
    const { calls, run } = harness(async () => verdict, async () => { throw new Error('RabbitMQ unreachable'); });
    await expect(run()).rejects.toThrow('RabbitMQ unreachable');
    expect(calls).toEqual(['publish command_accepted']);
  });
});
