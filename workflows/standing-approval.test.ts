import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportOf, SignedStandingGrant } from '../contracts/index.js';
import {
  commandInput,
  decide,
  decision,
  reportOf,
  startHarness,
  stubActivities,
  types,
  waitForReport,
  withCommand,
  type WorkflowHarness,
} from '../test/support/workflow-harness.js';

// A standing approval in the workflow alone: the real bundle on the run's dev server, stub activities. Every
// workflow started here is replayed with the current code when the file ends (the harness's close()).

let harness: WorkflowHarness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const grant: SignedStandingGrant = {
  grant: {
    standing_approval_id: 'sa_AAAAAAAAAAAAAAAAAAAAAA',
    key_id: 'k1',
    tenant: { org_id: 'acme', project_id: 'school' },
    agent: 'stub_agent',
    match: { params: { to: 'parents' } },
    reason: 'the weekly letter',
    created_by: 'principal-park',
    created_at: '2026-12-07T00:00:00.000Z',
    approvals: [
      { approver: 'principal-park', roles: ['approver'], approved_at: '2026-12-07T00:00:00.000Z' },
      { approver: 'vice-lee', roles: ['approver'], approved_at: '2026-12-07T00:01:00.000Z' },
    ],
  },
  signature: 'A'.repeat(43),
};

describe('standing approvals in the workflow', { timeout: 15_000 }, () => {
  it('a RED action a standing approval covers runs at once: the ask is recorded and resolved, naming it, and the step carries the grant', async () => {
    const stub = stubActivities({ risk: 'RED', standing: () => grant });
    const input = commandInput({ to: 'parents' });
    const outcome = await withCommand(harness, stub, input, (handle) => handle.result());

    expect(outcome).toMatchObject({ status: 'completed' });
    expect(types(stub.calls.reports)).toEqual(['command_accepted', 'ask_created', 'ask_resolved', 'task_started', 'task_completed']);
    const ask = reportOf(stub.calls.reports, 'ask_created');
    expect(reportOf(stub.calls.reports, 'ask_resolved').payload).toEqual({
      ask_id: ask.payload.ask_id,
      decision: 'approve',
      decided_by: 'principal-park, vice-lee',
      reason: 'the weekly letter',
      standing_approval_id: grant.grant.standing_approval_id,
      decisions: grant.grant.approvals.map((a) => ({ decided_by: a.approver, decision: 'approve', decided_at: a.approved_at, action_digest: ask.payload.action_digest })),
    });
    // Ask and resolution go out together, durably; nobody's decision was verified, nothing waited.
    expect(stub.calls.publishedLocally.filter(([t]) => t === 'ask_created' || t === 'ask_resolved')).toEqual([['ask_created', false], ['ask_resolved', false]]);
    expect(stub.calls.verified).toEqual([]);
    expect(stub.calls.runs.map((r) => r.approval)).toEqual([{ ask_id: ask.payload.ask_id, standing: grant }]);
    // The assessment is told who asked, so a standing approval of theirs is not offered under separation of duties.
    expect(stub.calls.assessInputs[0]).toMatchObject({ requested_by: 'alice', tenant: input.tenant });
  });

  it('an edited action is assessed with its editor excluded, so a standing approval of theirs cannot approve their own edit', async () => {
    // Offered only when the editor is not excluded: the stub stands for the real lookup's rule.
    const stub = stubActivities({ risk: 'RED', standing: (i) => (i.excluded ?? []).includes('bob') ? undefined : (i.action.params.to === 'everyone' ? grant : undefined) });
    const input = commandInput({ to: 'parents' });
    await withCommand(harness, stub, input, async (handle) => {
      const ask = await waitForReport(stub, 'ask_created');
      await decide(handle, decision(input, ask, { decided_by: 'bob', params: { to: 'everyone' } }));
      const second: ReportOf<'ask_created'> = await waitForReport(stub, 'ask_created', 2);
      expect(second.payload.excluded_deciders).toEqual(['bob']);
      await decide(handle, decision(input, second, { decided_by: 'carol', decision: 'deny' }));
      await handle.result();
    });
    expect(stub.calls.assessInputs.map((i) => i.excluded)).toEqual([undefined, ['bob']]);
    expect(stub.calls.runs).toEqual([]);
  });
});
