import { describe, expect, it } from 'vitest';
import { CommandRequest, Report, StreamCursor, Tenant, workflowIdFor } from './index.js';

describe('contracts', () => {
  it('parses both command types and defaults params', () => {
    expect(CommandRequest.parse({ type: 'agent.run', agent: 'echo' })).toEqual({ type: 'agent.run', agent: 'echo', params: {} });
    expect(CommandRequest.parse({ type: 'instruction', text: '3학년 A반 성적표를 보내줘' }).type).toBe('instruction');
  });
  it('refuses unknown fields, bad ids and unknown types', () => {
    expect(CommandRequest.safeParse({ type: 'agent.run', agent: 'echo', approved: true }).success).toBe(false);
    expect(CommandRequest.safeParse({ type: 'agent.run', agent: 'echo', command_id: 'a b' }).success).toBe(false);
    expect(CommandRequest.safeParse({ type: 'agent.run', agent: 'echo', correlation_id: 'x\ny' }).success).toBe(false);
    expect(CommandRequest.safeParse({ type: 'exec', agent: 'echo' }).success).toBe(false);
  });
  it('accepts only lower-case tenant ids of the documented pattern', () => {
    expect(Tenant.safeParse({ org_id: 'acme', project_id: 'p_1-x' }).success).toBe(true);
    for (const bad of ['Acme', '-acme', 'a'.repeat(64), 'a/b', 'a b', '']) {
      expect(Tenant.safeParse({ org_id: bad, project_id: 'p' }).success, bad).toBe(false);
    }
  });
  it('derives distinct workflow ids per tenant', () => {
    const a = workflowIdFor({ org_id: 'a', project_id: 'b' }, 'c');
    expect(a).toBe('nexus/a/b/c');
    expect(workflowIdFor({ org_id: 'a', project_id: 'bc' }, 'd')).not.toBe(workflowIdFor({ org_id: 'a', project_id: 'b' }, 'cd'));
  });
  it('accepts stream ids as cursors and nothing else', () => {
    for (const ok of ['0', '0-0', '1795610610627-0', '1795610610627-12']) expect(StreamCursor.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['-1', '$', '+', '>', 'abc', '1-2-3', '1-', ' 1-0', '1-0\n', '99999999999999999999-0']) expect(StreamCursor.safeParse(bad).success, bad).toBe(false);
  });
  it('discriminates reports on report_type and checks each payload', () => {
    const base = { report_id: 'w:0', seq: 0, correlation_id: 'c', command_id: 'c', workflow_id: 'w', org_id: 'o', project_id: 'p', ts: new Date().toISOString() };
    expect(Report.safeParse({ ...base, report_type: 'task_failed', payload: { error: { code: 'x', message: 'm', retryable: false }, duration_ms: 1 } }).success).toBe(true);
    expect(Report.safeParse({ ...base, report_type: 'task_failed', payload: { error: 'boom' } }).success).toBe(false);
    expect(Report.safeParse({ ...base, report_type: 'something_else', payload: {} }).success).toBe(false);
  });
});
