import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Report } from '../../contracts/index.js';
import { REDIS_URL } from '../../test/support/nexus-under-test.js';
import { RedisKeys } from './keys.js';
import { ReportStore } from './report-store.js';

// What the store knows of a command without reading its stream, on a real Redis, as the bridge appends.
const prefix = `test:report-store-${randomUUID().slice(0, 8)}:`;
const tenant = { org_id: 'acme', project_id: 'report-store' };
let redis: Redis;
let store: ReportStore;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  store = new ReportStore(redis, new RedisKeys(prefix), 1_000);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function report(workflowId: string, seq: number, type: 'task_progress' | 'task_completed'): Report {
  return Report.parse({
    report_id: `${workflowId}:${seq}`, seq, report_type: type, correlation_id: 'c', command_id: 'c', workflow_id: workflowId,
    org_id: tenant.org_id, project_id: tenant.project_id, ts: new Date().toISOString(),
    payload: type === 'task_completed' ? { result: null, risk_level: 'GREEN', duration_ms: 1 } : { message: `#${seq}` },
  });
}

describe('a command\'s progress in the store', () => {
  it('is the highest seq stored, whatever order reports arrive in, and whether its end is among them', async () => {
    const workflowId = `nexus/acme/report-store/${randomUUID()}`;
    expect(await store.progress(tenant, workflowId)).toBeNull();
    await store.append(report(workflowId, 3, 'task_progress'));
    await store.append(report(workflowId, 1, 'task_progress'));
    expect(await store.progress(tenant, workflowId)).toEqual({ seq: 3, terminal: false, openAsks: [] });
    await store.append(report(workflowId, 4, 'task_completed'));
    expect(await store.progress(tenant, workflowId)).toEqual({ seq: 4, terminal: true, openAsks: [] });
  });

  it('is not moved by a duplicate, and is per tenant', async () => {
    const workflowId = `nexus/acme/report-store/${randomUUID()}`;
    await store.append(report(workflowId, 2, 'task_progress'));
    // The same report_id again (a redelivery) with another seq changes nothing: the first copy stands.
    const again = { ...report(workflowId, 9, 'task_progress'), report_id: `${workflowId}:2` };
    expect((await store.append(again)).added).toBe(false);
    expect(await store.progress(tenant, workflowId)).toEqual({ seq: 2, terminal: false, openAsks: [] });
    expect(await store.progress({ ...tenant, project_id: 'other' }, workflowId)).toBeNull();
  });
});

describe('a store that needs replicas to confirm each report (NEXUS_REDIS_REPLICA_ACKS)', () => {
  it('does not call a report stored while no replica holds it, and a retry stores it no second time', async () => {
    // This Redis has no replica: WAIT answers 0 once its timeout passes.
    const strict = new ReportStore(redis, new RedisKeys(prefix), 1_000, { replicas: 1, timeoutMs: 50 });
    const workflowId = `nexus/acme/report-store/${randomUUID()}`;
    await expect(strict.append(report(workflowId, 0, 'task_progress'))).rejects.toMatchObject({ code: 'redis_replicas_behind', message: '0 of 1 Redis replica(s) confirmed the report within 50 ms' });
    await expect(strict.append(report(workflowId, 0, 'task_progress'))).rejects.toMatchObject({ code: 'redis_replicas_behind' });
    expect(await redis.xlen(strict.keys.reports(tenant))).toBeGreaterThan(0);
    expect(await store.progress(tenant, workflowId)).toEqual({ seq: 0, terminal: false, openAsks: [] });
    const all = await store.range(tenant, '0-0', '+', 10_000);
    expect(all.filter((e) => (JSON.parse(e.data) as Report).workflow_id === workflowId)).toHaveLength(1);
  });
});
