import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { sleep } from '../infra/backoff.js';
import type { Logger } from '../infra/logger.js';
import { assertReportTopology, migrationLockQueue, type ReportTopology } from '../infra/messaging/report-topology.js';

export interface QueueMigration {
  model: ChannelModel;
  topology: ReportTopology;
  prefetch: number;
  /** Stores one message and acks it, in the order the bridge stores everything (its one queue of work). */
  handle(channel: Channel, msg: ConsumeMessage): void;
  /** Resolves when every message handed to `handle` so far is stored and acked. */
  idle(): Promise<void>;
  signal: AbortSignal;
  log: Logger;
}

const POLL_MS = 200;

/**
 * Moves a bridge queue made before bridges had a single active consumer onto an ordered one. RabbitMQ cannot add
 * the argument to an existing queue, so the old queue is drained into Redis and deleted, and the ordered one takes
 * its name. Nothing is lost: the old queue is unbound first, so a report published meanwhile is unroutable and its
 * publisher retries it until the new queue is bound (as when the bridge has never run); the old queue is deleted
 * only when it holds nothing and nobody else consumes it, so a bridge of the older version still holding
 * unacked messages is waited for. One bridge migrates at a time (an exclusive lock queue the broker frees when its
 * connection dies); the others fail this set-up and retry it with the connection's backoff.
 */
export async function migrateToOrderedQueue(m: QueueMigration): Promise<void> {
  const { model, topology: t, log } = m;
  const lock = await model.createChannel();
  lock.on('error', () => undefined);
  // 405 RESOURCE_LOCKED when another bridge holds it: thrown, and this bridge's set-up is retried later.
  await lock.assertQueue(migrationLockQueue(t), { exclusive: true, durable: false, autoDelete: true });
  const channel = await model.createChannel();
  channel.on('error', (err: Error) => log.warn({ err: err.message }, 'bridge queue migration channel error'));
  try {
    log.warn({ queue: t.bridgeQueue }, 'bridge queue predates ordered replicas: draining it into Redis, then replacing it');
    await channel.prefetch(m.prefetch);
    await channel.unbindQueue(t.bridgeQueue, t.exchange, '#');
    for (let round = 1; !m.signal.aborted; round++) {
      const { consumerTag } = await channel.consume(t.bridgeQueue, (msg) => {
        if (msg) m.handle(channel, msg);
      });
      while (!m.signal.aborted && (await channel.checkQueue(t.bridgeQueue)).messageCount > 0) await sleep(POLL_MS, m.signal);
      await channel.cancel(consumerTag);
      await m.idle();
      const { messageCount, consumerCount } = await channel.checkQueue(t.bridgeQueue);
      if (messageCount === 0 && consumerCount === 0) break;
      // An older bridge still consumes it (a rolling upgrade): its unacked messages would die with the queue.
      if (consumerCount > 0 && round % 30 === 1) log.warn({ queue: t.bridgeQueue, consumers: consumerCount, round }, 'an older bridge still consumes the old queue; waiting for it to stop');
      await sleep(1_000, m.signal);
    }
    if (m.signal.aborted) return;
    await channel.deleteQueue(t.bridgeQueue);
    await assertReportTopology(channel, t);
    log.info({ queue: t.bridgeQueue }, 'bridge queue replaced by an ordered one');
  } finally {
    await channel.close().catch(() => undefined);
    await lock.close().catch(() => undefined);
  }
}
