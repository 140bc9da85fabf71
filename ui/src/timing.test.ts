import { describe, expect, it } from 'vitest';
import { Report } from '../../contracts/index.js';
import { commandTiming } from './timing.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const base = { correlation_id: 'c', command_id: 'c', workflow_id: 'w', org_id: 'o', project_id: 'p' };
const r = (seq: number, type: string, s: number, payload: Record<string, unknown> = {}) =>
  Report.parse({ ...base, report_id: `w:${seq}`, seq, report_type: type, ts: at(s), payload });
const ask = { ask_id: 'a1', risk_level: 'RED', title: 't', description: 'd', action: { agent: 'echo', params: {} }, action_digest: `sha256:${'0'.repeat(64)}`, options: ['approve', 'deny'], expires_at: at(3600) };

describe('commandTiming', () => {
  it('splits a RED command into waiting for the approver and running', () => {
    const reports = [
      r(0, 'command_accepted', 0, { type: 'agent.run', agent: 'echo' }),
      r(1, 'task_started', 0, { agent: 'echo' }),
      r(2, 'ask_created', 1, ask),
      r(3, 'ask_resolved', 21, { ask_id: 'a1', decision: 'approve', decided_by: 'kim' }),
      r(4, 'task_completed', 22, { result: {}, risk_level: 'RED', duration_ms: 22_000 }),
    ];
    expect(commandTiming(reports)).toEqual({ totalMs: 22_000, waitingMs: 20_000, runningMs: 2_000, asks: 1 });
  });

  it('counts an open ask up to now, and a GREEN command as all running', () => {
    const open = [r(0, 'command_accepted', 0, { type: 'agent.run' }), r(1, 'ask_created', 2, ask)];
    expect(commandTiming(open, Date.parse(at(12)))).toEqual({ totalMs: 12_000, waitingMs: 10_000, runningMs: 2_000, asks: 1 });
    const green = [r(0, 'command_accepted', 0, { type: 'agent.run' }), r(1, 'task_completed', 3, { result: 1, risk_level: 'GREEN', duration_ms: 3000 })];
    expect(commandTiming(green)).toEqual({ totalMs: 3_000, waitingMs: 0, runningMs: 3_000, asks: 0 });
    expect(commandTiming([])).toBeUndefined();
  });

  it('counts a plan\'s asks open together once: the time any of them was open', () => {
    const reports = [
      r(0, 'command_accepted', 0, { type: 'instruction' }),
      r(1, 'ask_created', 1, ask),
      r(2, 'ask_created', 1, { ...ask, ask_id: 'a2' }),
      r(3, 'ask_resolved', 31, { ask_id: 'a2', decision: 'approve', decided_by: 'kim' }),
      r(4, 'ask_resolved', 41, { ask_id: 'a1', decision: 'approve', decided_by: 'lee' }),
      r(5, 'task_completed', 51, { result: [], risk_level: 'RED', duration_ms: 51_000 }),
    ];
    expect(commandTiming(reports)).toEqual({ totalMs: 51_000, waitingMs: 40_000, runningMs: 11_000, asks: 2 });
  });
});
