import { describe, expect, it } from 'vitest';
import type { Report, ReportPayload } from '../../contracts/index.js';
import { deriveStatus } from './status.js';

const base = { correlation_id: 'c1', command_id: 'c1', workflow_id: 'nexus/acme/demo/c1', org_id: 'acme', project_id: 'demo', ts: '2026-01-01T00:00:00.000Z' };
let seq = 0;
const r = (report: Pick<Report, 'report_type' | 'payload'>): Report => ({ ...base, report_id: `${base.workflow_id}:${seq}`, seq: seq++, ...report }) as Report;
const asked = (askId: string) => r({ report_type: 'ask_created', payload: {
  ask_id: askId, risk_level: 'RED', title: 't', description: 'd', action: { agent: 'external_share', params: {} },
  action_digest: `sha256:${'0'.repeat(64)}`, options: ['approve', 'deny'], expires_at: '2026-01-02T00:00:00.000Z',
} });
const resolved = (askId: string, payload: Partial<ReportPayload<'ask_resolved'>> = {}) =>
  r({ report_type: 'ask_resolved', payload: { ask_id: askId, decision: 'approve', decided_by: 'kim', ...payload } });

describe('a command\'s status with a plan\'s asks open together', () => {
  it('waits until the last of them is approved', () => {
    const reports = [r({ report_type: 'command_accepted', payload: { type: 'instruction' } }), asked('a'), asked('b'), resolved('b')];
    expect(deriveStatus(reports)).toBe('waiting');
    expect(deriveStatus([...reports, resolved('a')])).toBe('running');
  });

  it('is denied by one denial, whatever the withdrawn asks beside it say, and cancelled when withdrawn by a cancel', () => {
    const opened = [r({ report_type: 'command_accepted', payload: { type: 'instruction' } }), asked('a'), asked('b')];
    const denied = [...opened, resolved('a', { decision: 'deny' }), resolved('b', { decision: 'deny', decided_by: 'nexus', withdrawn: true })];
    expect(deriveStatus(denied)).toBe('denied');
    expect(deriveStatus([...denied, r({ report_type: 'task_cancelled', payload: { reason: 'denied', ask_id: 'a' } })])).toBe('denied');
    const cancelled = [...opened, resolved('b', { decision: 'deny', decided_by: 'nexus', withdrawn: true }), r({ report_type: 'task_cancelled', payload: { reason: 'cancelled', ask_id: 'a' } })];
    expect(deriveStatus(cancelled)).toBe('cancelled');
  });

  it('stays denied when an approval of another ask is recorded just after the denial, until a revised plan asks again', () => {
    const denied = [r({ report_type: 'command_accepted', payload: { type: 'instruction' } }), asked('a'), asked('b'), resolved('b', { decision: 'deny' }), resolved('a')];
    expect(deriveStatus(denied)).toBe('denied');
    expect(deriveStatus([...denied, asked('c')])).toBe('waiting');
  });
});
