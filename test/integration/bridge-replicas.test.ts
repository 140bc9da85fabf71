import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config/load-config.js';
import { connectAmqp } from '../../infra/amqp.js';
import { createLogger } from '../../infra/logger.js';
import { ReportPublisher } from '../../infra/messaging/report-publisher.js';
import {
  bridgeQueueArguments, deadLetterExchange, deadLetterQueue, DELIVERY_LIMIT, isUnorderedQueueRefusal, type ReportTopology,
} from '../../infra/messaging/report-topology.js';
import { RedisKeys } from '../../infra/store/keys.js';
import { ReportSeal } from '../../infra/trust/report-seal.js';
import { syntheticReport } from '../support/synthetic-reports.js';
import { until } from '../support/until.js';
import { AMQP_URL, cleanupEnv, isolatedEnv, killHard, REDIS_URL, spawnRole, testLogger } from '../support/nexus-under-test.js';

const tenant = { org_id: 'acme', project_id: 'bridges' };
const quiet = createLogger('silent');
const redis = new Redis(REDIS_URL);
const started: ChildProcess[] = [];
const envs: Array<Record<string, string>> = [];

/** A file's own install: its exchange, queue and key prefix, and a publisher sealing as this install's worker would. */
async function install(name: string) {
  const env = isolatedEnv(name, { NEXUS_BRIDGE_PREFETCH: '50' });
  envs.push(env);
  const config = loadConfig(env);
  const topology: ReportTopology = { exchange: config.amqp.exchange, bridgeQueue: config.amqp.bridgeQueue };
  const amqp = await connectAmqp({ url: config.amqp.url, logger: quiet, name: `test-${name}` });
  const publisher = new ReportPublisher(amqp, topology, new ReportSeal(config.trust.decisionKeys ?? []), quiet);
  const stream = new RedisKeys(config.redis.prefix).reports(tenant);
  const { logFile } = testLogger(env);
  const bridge = async () => {
    const child = await spawnRole('bridge', env, logFile);
    started.push(child);
    return child;
  };
  const stored = async () => (await redis.xrange(stream, '-', '+')).map(([, fields]) => JSON.parse(fields[1] ?? '{}') as { report_id: string; correlation_id: string; seq: number });
  const close = async () => {
    await publisher.close();
    await amqp.close();
  };
  return { env, topology, publisher, stream, logFile, bridge, stored, close };
}

afterAll(async () => {
  for (const child of started) await killHard(child);
  await redis.quit();
  for (const env of envs) await cleanupEnv(env);
});

describe('bridge replicas', () => {
  it('two bridges store every command\'s reports in seq order, across SIGKILL of each, with nothing lost or repeated', async () => {
    const nexus = await install('bridge-replicas');
    const commands = Array.from({ length: 30 }, (_, i) => `replica-${i}`);
    const rounds = 90;
    const inFlight = 5;
    let a = await nexus.bridge();
    const b = await nexus.bridge();
    let failoverMs = -1;
    try {
      // Round r is seq r of every command, published together as a worker's activities would; the publisher stays
      // at most `inFlight` rounds ahead of what is stored, so each kill lands with reports in flight.
      for (let round = 0; round < rounds; round++) {
        await until(async () => (await redis.xlen(nexus.stream)) >= (round - inFlight) * commands.length, 30_000, `round ${round - inFlight} stored`);
        await nexus.publisher.publish(commands.map((command) => syntheticReport(tenant, command, round)));
        if (round === 30) await killHard(a);
        if (round === 45) a = await nexus.bridge();
        if (round === 60) {
          // Whichever bridge was active at round 30, the one that stores now is b: a came back behind it.
          const killedAt = Date.now();
          await killHard(b);
          await until(async () => (await redis.xlen(nexus.stream)) > 60 * commands.length, 30_000, 'the standby to take over');
          failoverMs = Date.now() - killedAt;
        }
      }
      await until(async () => (await redis.xlen(nexus.stream)) >= rounds * commands.length, 30_000, 'every report stored');
      const reports = await nexus.stored();
      expect(reports).toHaveLength(rounds * commands.length);
      expect(new Set(reports.map((r) => r.report_id)).size).toBe(reports.length);
      for (const command of commands) {
        const seqs = reports.filter((r) => r.correlation_id === command).map((r) => r.seq);
        expect(seqs, `${command}'s reports in stream order`).toEqual(Array.from({ length: rounds }, (_, i) => i));
      }
      mkdirSync('test-artifacts', { recursive: true });
      writeFileSync('test-artifacts/bridge-failover.json', JSON.stringify({ failover_ms: failoverMs, reports: reports.length }));
      expect(failoverMs).toBeGreaterThanOrEqual(0);
    } finally {
      await killHard(a);
      await nexus.close();
    }
  });

  it('moves a bridge queue from before ordered replicas onto an ordered one, waiting for an older bridge, losing nothing', async () => {
    const nexus = await install('bridge-migration');
    const t = nexus.topology;
    const broker = await amqplib.connect(AMQP_URL);
    const setup = await broker.createChannel();
    // The queue as the bridge declared it before: a quorum queue without a single active consumer.
    await setup.assertExchange(t.exchange, 'topic', { durable: true });
    await setup.assertExchange(deadLetterExchange(t), 'fanout', { durable: true });
    await setup.assertQueue(deadLetterQueue(t), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await setup.assertQueue(t.bridgeQueue, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': deadLetterExchange(t), 'x-delivery-limit': DELIVERY_LIMIT },
    });
    await setup.bindQueue(t.bridgeQueue, t.exchange, '#');
    const before = Array.from({ length: 100 }, (_, i) => ['old-a', 'old-b'].map((command) => syntheticReport(tenant, command, i))).flat();
    await nexus.publisher.publish(before);

    // An older bridge, still running during a rolling upgrade: it holds ten messages unacked.
    const older = await amqplib.connect(AMQP_URL);
    const olderChannel = await older.createChannel();
    await olderChannel.prefetch(10);
    let held = 0;
    await olderChannel.consume(t.bridgeQueue, () => {
      held++;
    });
    await until(async () => held === 10, 10_000, 'the older bridge to hold ten messages');

    const starting = nexus.bridge();
    starting.catch(() => undefined);
    try {
      await until(async () => (await redis.xlen(nexus.stream)) >= before.length - 10, 30_000, 'the new bridge to drain what the older one does not hold');
      await until(async () => readFileSync(nexus.logFile, 'utf8').includes('an older bridge still consumes the old queue'), 10_000, 'the new bridge to wait for the older one');
      // Meanwhile nothing routes to the old queue: a report published now is refused, so its publisher retries it.
      await expect(nexus.publisher.publish([syntheticReport(tenant, 'during', 0)])).rejects.toThrow(/no queue takes/);
      expect(await isOrdered(broker, t)).toBe(false);

      // The older bridge stops; its unacked messages come back and are drained, then the queue is replaced.
      await older.close();
      await starting;
      await nexus.publisher.publish([syntheticReport(tenant, 'during', 0)]);
      await until(async () => (await redis.xlen(nexus.stream)) >= before.length + 1, 30_000, 'every report stored');
      const ids = (await nexus.stored()).map((r) => r.report_id);
      expect(new Set(ids)).toEqual(new Set([...before.map((r) => r.report_id), 'synthetic/during:0']));
      expect(ids).toHaveLength(before.length + 1);
      expect(await isOrdered(broker, t)).toBe(true);
    } finally {
      await older.close().catch(() => undefined);
      await broker.close();
      await nexus.close();
    }
  });
});

/** Whether the bridge queue has a single active consumer: redeclaring it with today's arguments is refused if not. */
async function isOrdered(broker: amqplib.ChannelModel, t: ReportTopology): Promise<boolean> {
  const channel = await broker.createChannel();
  channel.on('error', () => undefined);
  try {
    await channel.assertQueue(t.bridgeQueue, { durable: true, arguments: bridgeQueueArguments(t) });
    await channel.close();
    return true;
  } catch (err) {
    if (isUnorderedQueueRefusal(err)) return false;
    throw err;
  }
}
