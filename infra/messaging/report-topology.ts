import type { Channel } from 'amqplib';
import type { Report } from '../../contracts/index.js';

export interface ReportTopology {
  exchange: string;
  bridgeQueue: string;
}

/** Redeliveries before RabbitMQ dead-letters a message the bridge keeps failing on (a poison message). */
export const DELIVERY_LIMIT = 20;

export const deadLetterExchange = (t: ReportTopology) => `${t.exchange}.dlx`;
export const deadLetterQueue = (t: ReportTopology) => `${t.bridgeQueue}.dead`;
/** An exclusive queue held while one bridge moves an unordered bridge queue onto an ordered one (a broker lock). */
export const migrationLockQueue = (t: ReportTopology) => `${t.bridgeQueue}.migrating`;

/** What the bridge queue is declared with. Exported so a test can tell an ordered queue from an older one. */
export const bridgeQueueArguments = (t: ReportTopology) => ({
  'x-queue-type': 'quorum',
  'x-dead-letter-exchange': deadLetterExchange(t),
  'x-delivery-limit': DELIVERY_LIMIT,
  // Several bridges, one of them consuming: RabbitMQ hands a queue's messages to its consumers in turn, and two
  // active bridges would store one command's reports out of order. The others wait as hot standbys.
  'x-single-active-consumer': true,
});

/**
 * The broker's refusal to redeclare a bridge queue made before it had a single active consumer (RabbitMQ cannot
 * change a queue's arguments): such a queue is migrated, not used.
 */
export function isUnorderedQueueRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === 406 && typeof e.message === 'string' && e.message.includes("'x-single-active-consumer'");
}

export function routingKeyFor(report: Report): string {
  return `${report.org_id}.${report.project_id}.${report.report_type}`;
}

/**
 * What a publisher declares: the exchange only. Declaring the bridge's queue (with its dead-letter exchange) would
 * need read on it, and a publisher must not be able to consume reports. A report published before the bridge ever
 * declared its queue is unroutable: the publisher's `mandatory` publish fails and the activity retries until it is.
 */
export async function assertReportExchange(channel: Channel, t: ReportTopology): Promise<void> {
  await channel.assertExchange(t.exchange, 'topic', { durable: true });
}

/**
 * The bridge's whole topology. The queue is a quorum queue with a single active consumer; RabbitMQ 3.10 needs
 * `x-delivery-limit` and the DLX set explicitly (newer brokers default them).
 */
export async function assertReportTopology(channel: Channel, t: ReportTopology): Promise<void> {
  await assertReportExchange(channel, t);
  await channel.assertExchange(deadLetterExchange(t), 'fanout', { durable: true });
  await channel.assertQueue(deadLetterQueue(t), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(deadLetterQueue(t), deadLetterExchange(t), '');
  await channel.assertQueue(t.bridgeQueue, { durable: true, arguments: bridgeQueueArguments(t) });
  await channel.bindQueue(t.bridgeQueue, t.exchange, '#');
}
