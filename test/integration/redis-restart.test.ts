import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isListening } from '../../runtime/devserver/port-check.js';
import type { Report } from '../../contracts/index.js';
import { SseRecorder } from '../support/sse-client.js';
import { bootNexus, cleanupEnv, isolatedEnv, killHard, post, testLogger, type RunningNexus } from '../support/nexus-under-test.js';

/** A private Redis (fsync on every write) that this test may kill without disturbing anything else. */
const port = 20_000 + Math.floor(Math.random() * 20_000);
const dir = mkdtempSync(join(tmpdir(), 'nexus-redis-'));
const startRedis = async (): Promise<ChildProcess> => {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await isListening('127.0.0.1', port)); i++) await new Promise((r) => setTimeout(r, 50));
  return child;
};

const tenant = { org_id: 'acme', project_id: 'redis-restart' };
const env = isolatedEnv('redis-restart', { REDIS_URL: `redis://127.0.0.1:${port}` });
let redis: ChildProcess;
let nexus: RunningNexus;

beforeAll(async () => {
  redis = await startRedis();
  nexus = await bootNexus(env, testLogger(env).logger);
});
afterAll(async () => {
  await nexus?.stop();
  await cleanupEnv({ ...env, NEXUS_REDIS_PREFIX: '__none__' });
  if (redis) await killHard(redis);
});

describe('a Redis restart', () => {
  it('ends open streams with a retry hint, and a client resuming from its last id sees every report once', async () => {
    const send = (i: number) => post(nexus.baseUrl, '/sidecar/command', { type: 'agent.run', agent: 'echo', params: { i }, correlation_id: `rr-${i}` }, tenant);
    const first = await SseRecorder.open(nexus.baseUrl, tenant);
    for (let i = 0; i < 5; i++) expect((await send(i)).status).toBe(202);
    await first.waitFor((rs) => rs.filter((r) => r.report_type === 'task_completed').length === 5);

    await killHard(redis);
    await first.waitForEnd();
    expect(first.retry).toBe(500);
    // Commands are still accepted while Redis is down (no command_id, so no ledger write): reports wait in RabbitMQ.
    for (let i = 5; i < 10; i++) expect((await send(i)).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1000));
    redis = await startRedis();

    let resumed: SseRecorder | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      resumed = await SseRecorder.open(nexus.baseUrl, tenant, { lastEventId: first.lastId });
      try {
        await resumed.waitFor((rs) => rs.filter((r) => r.report_type === 'task_completed').length === 5, 2_000);
        break;
      } catch {
        resumed.close();
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    resumed?.close();
    const all: Report[] = [...first.reports, ...(resumed?.reports ?? [])];
    expect(all).toHaveLength(30);
    expect(new Set(all.map((r) => r.report_id)).size).toBe(30);
    for (let i = 0; i < 10; i++) {
      expect(all.filter((r) => r.correlation_id === `rr-${i}`).map((r) => r.report_type)).toEqual(['command_accepted', 'task_started', 'task_completed']);
    }
  });
});
