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
 * The bridge's whole topology. The queue is a quorum queue; RabbitMQ 3.10 needs `x-delivery-limit` and the DLX set
 * explicitly (newer brokers default them).
 */
export async function assertReportTopology(channel: Channel, t: ReportTopology): Promise<void> {
  await assertReportExchange(channel, t);
  await channel.assertExchange(deadLetterExchange(t), 'fanout', { durable: true });
  await channel.assertQueue(deadLetterQueue(t), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(deadLetterQueue(t), deadLetterExchange(t), '');
  await channel.assertQueue(t.bridgeQueue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': deadLetterExchange(t),
      'x-delivery-limit': DELIVERY_LIMIT,
    },
  });
  await channel.bindQueue(t.bridgeQueue, t.exchange, '#');
}
