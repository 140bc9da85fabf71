import { randomUUID } from 'node:crypto';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Report } from '../../contracts/index.js';
import { DeliveryLedger } from '../../agents/student-excel-kakao/delivery-ledger.js';
import { createLogger } from '../../infra/logger.js';
import { redisClient } from '../../infra/redis.js';
import { AskIndex } from '../../infra/store/ask-index.js';
import { AuditLog } from '../../infra/store/audit-log.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { ReportStore } from '../../infra/store/report-store.js';
import { REDIS_URL } from '../support/nexus-under-test.js';
import { LocalRedisCluster } from '../support/redis-cluster.js';

// Redis Cluster, first part: every script and transaction NEXUS runs touches keys of one slot, proven on a real
// three-master cluster (a CROSSSLOT refusal would fail these). The client is ioredis's Cluster, passed where NEXUS
// takes a Redis: the stores use the commands both share.
const prefix = `test:cluster-${randomUUID().slice(0, 8)}:`;
const keys = new RedisKeys(prefix);
const digest = `sha256:${'c'.repeat(64)}`;
let cluster: LocalRedisCluster;
let client: Cluster;
let redis: Redis;

beforeAll(async () => {
  cluster = await LocalRedisCluster.start();
  client = cluster.client();
  redis = client as unknown as Redis;
}, 60_000);
afterAll(async () => {
  await client?.quit();
  await cluster?.stop();
});

function report(tenant: { org_id: string; project_id: string }, askId: string, seq: number, type: 'command_accepted' | 'ask_created', payload: Record<string, unknown>): Report {
  const workflowId = `nexus/${tenant.org_id}/${tenant.project_id}/${askId}`;
  return Report.parse({
    report_id: `${workflowId}:${seq}`, seq, report_type: type, correlation_id: askId, command_id: askId, workflow_id: workflowId,
    org_id: tenant.org_id, project_id: tenant.project_id, ts: new Date().toISOString(), payload,
  });
}

describe('on a Redis Cluster of three masters', () => {
  it('stores reports, indexes and claims asks, for tenants spread over the slots', async () => {
    const store = new ReportStore(redis, keys, 1_000);
    const index = new AskIndex(redis, keys);
    const tenants = Array.from({ length: 12 }, (_, i) => ({ org_id: `org${i}`, project_id: 'school' }));
    // Twelve tenants land on more than one master, or the test proves nothing about slots.
    const slots = new Set(await Promise.all(tenants.map((t) => client.cluster('KEYSLOT', keys.reports(t)) as Promise<number>)));
    expect(slots.size).toBeGreaterThan(1);
    for (const tenant of tenants) {
      const askId = randomUUID();
      await store.append(report(tenant, askId, 0, 'command_accepted', { type: 'agent.run', agent: 'external_share', requested_by: 'kim' }));
      await store.append(report(tenant, askId, 2, 'ask_created', {
        ask_id: askId, risk_level: 'RED', title: 't', description: 'd', action: { agent: 'external_share', params: {} },
        action_digest: digest, options: ['approve', 'deny'], expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      }));
      await store.rememberAskTenant(report(tenant, askId, 2, 'ask_created', {
        ask_id: askId, risk_level: 'RED', title: 't', description: 'd', action: { agent: 'external_share', params: {} },
        action_digest: digest, options: ['approve', 'deny'], expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      }));
      // The same report again: the dedupe key is in the tenant's slot too.
      expect((await store.append(report(tenant, askId, 0, 'command_accepted', { type: 'agent.run', agent: 'external_share', requested_by: 'kim' }))).added).toBe(false);
      expect((await store.range(tenant, '0-0', '+', 10)).map((e) => (JSON.parse(e.data) as Report).report_type)).toEqual(['command_accepted', 'ask_created']);
      expect((await index.claim(tenant, askId, 'approve', digest, new Date(), 'lee')).outcome).toBe('ok');
    }
  });

  it('stores many tenants\' reports asked for at once through the client NEXUS makes (auto-pipelined, as the bridge appends)', async () => {
    // The bridge's client groups the commands of a tick by the node their first key lives on: a batch's script call
    // must be grouped by its stream's slot, never by anything else, or calls for tenants on other masters share one
    // node's pipeline and the whole pipeline is refused.
    const piped = redisClient(`redis+cluster://${cluster.ports.map((p) => `127.0.0.1:${p}`).join(',')}`, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
    try {
      const store = new ReportStore(piped, keys, 1_000);
      const tenants = Array.from({ length: 12 }, (_, i) => ({ org_id: `piped${i}`, project_id: 'school' }));
      const slots = new Set(await Promise.all(tenants.map((t) => client.cluster('KEYSLOT', keys.reports(t)) as Promise<number>)));
      expect(slots.size).toBeGreaterThan(1);
      const asked = tenants.flatMap((tenant) => [0, 1, 2].map((seq) => report(tenant, `piped-${tenant.org_id}`, seq, 'command_accepted', { type: 'agent.run', agent: 'echo', requested_by: 'kim' })));
      const results = await Promise.all(asked.map((r) => store.append(r)));
      expect(results.every((r) => r.added)).toBe(true);
      for (const tenant of tenants) expect(await store.range(tenant, '0-0', '+', 10)).toHaveLength(3);
    } finally {
      await piped.quit();
    }
  });

  it('audits once per id, and keeps a KakaoTalk delivery ledger (script and transaction over its two keys)', async () => {
    const audit = new AuditLog(redis, prefix, createLogger('silent'));
    for (const org of ['acme', 'globex', 'initech']) {
      await audit.appendOnce(org, 'command-1', { event: 'command_started', principal: 'kim', principal_kind: 'requester', correlation_id: 'c-1', workflow_id: 'w-1', project_id: 'school', command_type: 'agent.run' });
      await audit.appendOnce(org, 'command-1', { event: 'command_started', principal: 'kim', principal_kind: 'requester', correlation_id: 'c-1', workflow_id: 'w-1', project_id: 'school', command_type: 'agent.run' });
      expect(await audit.read(org)).toHaveLength(1);
    }
    const ledger = new DeliveryLedger(redis, prefix);
    const step = `step-${randomUUID()}`;
    expect(await ledger.claim(step, 1, 'plan-a')).toEqual({ owned: true, plan: 'plan-a' });
    expect(await ledger.begin(step, 0, 1, Date.now())).toEqual({ kind: 'new' });
    await ledger.finishBatch(step, 0, { state: 'sent', at: Date.now(), request_id: 'r-1', rejected: [] }, [`${step}:2`, `${step}:3`]);
    expect([...(await ledger.confirmedAmong(step, [`${step}:2`, `${step}:4`]))]).toEqual([`${step}:2`]);
    expect((await ledger.batches(step)).get(0)).toMatchObject({ state: 'sent', request_id: 'r-1' });
  });
});

describe('a delivery ledger from before its keys shared a slot', () => {
  it('is taken over on the next claim, so a send retried across the upgrade repeats no batch', async () => {
    const single = new Redis(REDIS_URL);
    const step = `step-${randomUUID()}`;
    const before = keys.kakaoLedgerBefore(step);
    try {
      // What the earlier code left: attempt 1 owned it and finished batch 0.
      await single.hset(before.ledger, 'owner', '1', 'plan', 'plan-a', 'b:0', JSON.stringify({ state: 'sent', at: 1, request_id: 'r-0', rejected: [] }));
      await single.sadd(before.confirmed, `${step}:2`);
      const ledger = new DeliveryLedger(single, prefix);
      expect(await ledger.claim(step, 2, 'plan-b')).toEqual({ owned: true, plan: 'plan-a' });
      expect((await ledger.begin(step, 0, 2, Date.now())).kind).toBe('known');
      expect([...(await ledger.confirmedAmong(step, [`${step}:2`]))]).toEqual([`${step}:2`]);
      expect(await single.exists(before.ledger, before.confirmed)).toBe(0);
    } finally {
      await single.del(before.ledger, before.confirmed, keys.kakaoLedger(step), keys.kakaoConfirmed(step));
      await single.quit();
    }
  });
});
