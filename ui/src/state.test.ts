import { describe, expect, it } from 'vitest';
import type { Report, ReportPayload } from '../../contracts/index.js';
import { DashboardState, type Changes } from './state.js';

const base = { correlation_id: 'c1', command_id: 'c1', workflow_id: 'nexus/acme/demo/c1', org_id: 'acme', project_id: 'demo', ts: '2026-01-01T00:00:00.000Z' };
const r = (seq: number, report: Pick<Report, 'report_type' | 'payload'>): Report => ({ ...base, report_id: `${base.workflow_id}:${seq}`, seq, ...report }) as Report;
const ask: ReportPayload<'ask_created'> = { ask_id: 'a1', risk_level: 'RED', title: 't', description: 'd', action: { agent: 'external_share', params: {} }, action_digest: `sha256:${'0'.repeat(64)}`, options: ['approve', 'deny'], expires_at: '2026-01-02T00:00:00.000Z' };

function collect(state: DashboardState): Changes[] {
  const seen: Changes[] = [];
  state.subscribe((c) => seen.push(c));
  return seen;
}

describe('DashboardState', () => {
  it('shows on each ask whom NEXUS told, the latest outcome per target and stage, and forgets them with the ask', () => {
    const state = new DashboardState();
    state.applyReport('1-0', r(0, { report_type: 'ask_created', payload: ask }));
    const notice = (seq: number, target: string, status: 'sent' | 'failed', stage: 'ask' | 'reminder' = 'ask') => r(seq, { report_type: 'task_progress', payload: {
      message: 'm', notification: { ask_id: 'a1', stage, channel: 'email', approver: `p-${target}`, target, status, attempts: 1, ...(status === 'failed' ? { error: { code: 'notify_refused', message: 'no such user' } } : {}) },
    } });
    state.applyReport('1-1', notice(1, 'aaaaaaaaaaaaaaaa', 'failed'));
    state.applyReport('1-2', notice(2, 'bbbbbbbbbbbbbbbb', 'sent'));
    state.applyReport('1-3', notice(3, 'bbbbbbbbbbbbbbbb', 'sent', 'reminder'));
    expect(state.asks.get('a1')?.notices.map((n) => [n.target, n.stage, n.status])).toEqual([
      ['aaaaaaaaaaaaaaaa', 'ask', 'failed'], ['bbbbbbbbbbbbbbbb', 'ask', 'sent'], ['bbbbbbbbbbbbbbbb', 'reminder', 'sent'],
    ]);
    // A later outcome for the same target and stage replaces the earlier one.
    state.applyReport('1-4', notice(4, 'aaaaaaaaaaaaaaaa', 'sent'));
    expect(state.asks.get('a1')?.notices.filter((n) => n.target === 'aaaaaaaaaaaaaaaa').map((n) => n.status)).toEqual(['sent']);
    // A notice of an ask this page does not hold (closed, or never seen) opens nothing.
    state.applyReport('1-5', r(5, { report_type: 'ask_resolved', payload: { ask_id: 'a1', decision: 'approve', decided_by: 'p' } }));
    state.applyReport('1-6', notice(6, 'cccccccccccccccc', 'sent'));
    expect(state.asks.has('a1')).toBe(false);
  });

  it('notes this page\'s cancel, and a refusal, without claiming anything about the command', () => {
    const state = new DashboardState();
    state.applyReport('1-0', r(0, { report_type: 'command_accepted', payload: { type: 'agent.run', agent: 'echo' } }));
    state.markCancelling('c1');
    expect(state.commands.get('c1')).toMatchObject({ status: 'accepted', cancelling: true, cancelError: undefined });
    state.cancelRefused('c1', 'Not cancelled: this command has ended already');
    expect(state.commands.get('c1')).toMatchObject({ status: 'accepted', cancelling: false, cancelError: 'Not cancelled: this command has ended already' });
    // Only the stream ends it.
    state.applyReport('1-1', r(1, { report_type: 'task_cancelled', payload: { reason: 'cancelled' } }));
    expect(state.commands.get('c1')?.status).toBe('cancelled');
    // A command this page never saw is not invented by a note.
    state.markCancelling('nope');
    expect(state.commands.has('nope')).toBe(false);
  });

  it('derives the status from reports in seq order, whatever order they arrive in', () => {
    const state = new DashboardState();
    state.applyReport('1-2', r(2, { report_type: 'task_completed', payload: { result: 1, risk_level: 'GREEN', duration_ms: 5 } }));
    state.applyReport('1-0', r(0, { report_type: 'command_accepted', payload: { type: 'agent.run', agent: 'echo' } }));
    state.applyReport('1-1', r(1, { report_type: 'task_started', payload: {} }));
    const command = state.commands.get('c1');
    expect(command?.reports.map((x) => x.report.seq)).toEqual([0, 1, 2]);
    expect(command?.status).toBe('completed');
  });

  it('drops a report seen before, by stream id or by report_id', () => {
    const state = new DashboardState();
    const accepted = r(0, { report_type: 'command_accepted', payload: { type: 'agent.run' } });
    expect(state.applyReport('1-0', accepted)).toBe(true);
    expect(state.applyReport('1-0', accepted)).toBe(false);
    expect(state.applyReport('9-0', accepted)).toBe(false);
    expect(state.commands.get('c1')?.reports).toHaveLength(1);
  });

  it('keeps a decided ask "deciding" until the stream resolves it, then removes it', () => {
    const state = new DashboardState();
    const changes = collect(state);
    state.applyReport('1-0', r(0, { report_type: 'ask_created', payload: ask }));
    state.flush();
    expect(changes[0]?.newAsks.map((a) => a.payload.ask_id)).toEqual(['a1']);
    state.markDeciding('a1', 'deny');
    expect(state.asks.get('a1')?.deciding).toBe('deny');
    expect(state.commands.get('c1')?.status).toBe('waiting');
    state.applyReport('1-1', r(1, { report_type: 'ask_resolved', payload: { ask_id: 'a1', decision: 'deny', decided_by: 'kim' } }));
    state.applyReport('1-2', r(2, { report_type: 'task_cancelled', payload: { reason: 'no', ask_id: 'a1' } }));
    expect(state.asks.size).toBe(0);
    expect(state.commands.get('c1')?.status).toBe('denied');
  });

  it('shows "sent" only until the first report', () => {
    const state = new DashboardState();
    state.markSent('c1');
    expect(state.commands.get('c1')?.status).toBe('sent');
    state.applyReport('1-0', r(0, { report_type: 'command_accepted', payload: { type: 'agent.run' } }));
    expect(state.commands.get('c1')?.status).toBe('accepted');
  });

  it('keeps a command waiting through its ask\'s stages and notices; other progress means running', () => {
    const state = new DashboardState();
    state.applyReport('1-0', r(0, { report_type: 'command_accepted', payload: { type: 'agent.run', agent: 'external_share' } }));
    state.applyReport('1-1', r(1, { report_type: 'ask_created', payload: ask }));
    state.applyReport('1-2', r(2, { report_type: 'task_progress', payload: { message: 'p told', notification: { ask_id: 'a1', stage: 'ask', channel: 'alimtalk', approver: 'p', target: 'aaaaaaaaaaaaaaaa', status: 'sent', attempts: 1 } } }));
    state.applyReport('1-3', r(3, { report_type: 'task_progress', payload: { message: 'reminder', ask: { ask_id: 'a1', stage: 'reminder', approvals: 0, quorum: 2, expires_at: ask.expires_at } } }));
    state.applyReport('1-4', r(4, { report_type: 'task_progress', payload: { message: '1 of 2', ask: { ask_id: 'a1', stage: 'approval', approvals: 1, quorum: 2, decided_by: 'x', expires_at: ask.expires_at } } }));
    expect(state.commands.get('c1')?.status).toBe('waiting');
    state.applyReport('1-5', r(5, { report_type: 'ask_resolved', payload: { ask_id: 'a1', decision: 'approve', decided_by: 'x, y' } }));
    state.applyReport('1-6', r(6, { report_type: 'task_progress', payload: { message: 'sent 3 of 10', done: 3, total: 10 } }));
    expect(state.commands.get('c1')?.status).toBe('running');
  });

  it('shows a stalled command as stalled, then as what it was doing once it moves again', () => {
    const state = new DashboardState();
    const stall = (name: string, stateName: 'stalled' | 'moving'): Report => ({
      ...r(1, { report_type: 'task_progress', payload: { message: name, stalled: { state: stateName, cause: 'NonDeterministicError', since: base.ts } } }),
      report_id: `${base.workflow_id}:${name}`,
    });
    state.applyReport('1-0', r(0, { report_type: 'command_accepted', payload: { type: 'agent.run' } }));
    state.applyReport('1-1', r(1, { report_type: 'ask_created', payload: ask }));
    // Written from outside the workflow with the highest stored seq: the stream order puts it after the ask.
    state.applyReport('1-2', stall('stalled:12', 'stalled'));
    expect(state.commands.get('c1')?.status).toBe('stalled');
    expect(state.commands.get('c1')?.reports.map((x) => x.report.report_type)).toEqual(['command_accepted', 'ask_created', 'task_progress']);
    state.applyReport('1-3', stall('moving:12', 'moving'));
    expect(state.commands.get('c1')?.status).toBe('waiting');
    state.applyReport('1-4', stall('stalled:15', 'stalled'));
    state.applyReport('1-5', r(2, { report_type: 'ask_resolved', payload: { ask_id: 'a1', decision: 'approve', decided_by: 'kim' } }));
    expect(state.commands.get('c1')?.status).toBe('running');
  });
});
