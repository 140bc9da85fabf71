import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { isPassingRedisReply } from '../redis.js';
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

function report(workflowId: string, seq: number, type: 'task_progress' | 'task_completed', where = tenant): Report {
  return Report.parse({
    report_id: `${workflowId}:${seq}`, seq, report_type: type, correlation_id: 'c', command_id: 'c', workflow_id: workflowId,
    org_id: where.org_id, project_id: where.project_id, ts: new Date().toISOString(),
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

describe('appends asked for together (one script call per tenant and batch)', () => {
  it('stores each once, in the order asked, across tenants and more reports than one batch holds', async () => {
    const other = { org_id: 'acme', project_id: 'report-store-b' };
    const run = randomUUID();
    const asked = Array.from({ length: 150 }, (_, i) => report(`nexus/acme/report-store/${run}-${i % 7}`, i, 'task_progress', i % 3 === 0 ? other : tenant));
    // The same report twice in one batch: the second is a duplicate of the first, with its id.
    const results = await Promise.all([...asked, asked[5] as Report].map((r) => store.append(r)));
    expect(results.slice(0, 150).every((r) => r.added)).toBe(true);
    expect(results[150]).toEqual({ id: results[5]?.id, added: false });
    for (const where of [tenant, other]) {
      const entries = (await store.range(where, '0-0', '+', 10_000)).filter((e) => e.data.includes(run));
      const mine = asked.flatMap((r, i) => (r.project_id === where.project_id ? [{ id: results[i]?.id, data: JSON.stringify(r) }] : []));
      expect(entries).toEqual(mine);
    }
  });

  it('keeps an ask settled by a name with a lone surrogate, as UTF-8 would have it', async () => {
    const workflowId = `nexus/acme/report-store/${randomUUID()}`;
    const askId = randomUUID();
    const base = { correlation_id: 'c', command_id: 'c', workflow_id: workflowId, org_id: tenant.org_id, project_id: tenant.project_id };
    await store.append(Report.parse({
      ...base, report_id: `${workflowId}:0`, seq: 0, report_type: 'ask_created', ts: new Date().toISOString(),
      payload: { ask_id: askId, risk_level: 'RED', title: 't', description: 'd', action: { agent: 'external_share', params: {} },
        action_digest: `sha256:${'a'.repeat(64)}`, options: ['approve', 'deny'], expires_at: new Date(Date.now() + 3_600_000).toISOString() },
    }));
    const resolved = await store.append(Report.parse({
      ...base, report_id: `${workflowId}:1`, seq: 1, report_type: 'ask_resolved', ts: new Date().toISOString(),
      payload: { ask_id: askId, decision: 'approve', decided_by: 'kim\ud800' },
    }));
    expect(resolved.added).toBe(true);
    expect(await redis.hmget(store.keys.ask(tenant, askId), 'status', 'decided_by')).toEqual(['resolved', 'kim\ufffd']);
  });

  it('fails only the report whose own writes Redis refuses, with the reply, and stores the rest of its batch', async () => {
    const broken = `nexus/acme/report-store/${randomUUID()}`;
    const fine = `nexus/acme/report-store/${randomUUID()}`;
    // A key of the wrong type where the broken command's progress belongs: Redis answers WRONGTYPE for it, every time.
    await redis.set(store.keys.progress(tenant, broken), 'not a hash');
    const [refused, stored] = await Promise.allSettled([store.append(report(broken, 0, 'task_progress')), store.append(report(fine, 0, 'task_progress'))]);
    expect(refused.status).toBe('rejected');
    const err = (refused as PromiseRejectedResult).reason as Error;
    // A reply error that is not a failover's: the bridge gives it up after a few tries instead of waiting it out.
    expect(err.name).toBe('ReplyError');
    expect(err.message).toMatch(/WRONGTYPE/);
    expect(isPassingRedisReply(err)).toBe(false);
    expect(stored).toMatchObject({ status: 'fulfilled', value: { added: true } });
    expect(await store.progress(tenant, fine)).toEqual({ seq: 0, terminal: false, openAsks: [] });
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
