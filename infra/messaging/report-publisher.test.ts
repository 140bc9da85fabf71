import { randomBytes, randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { connectAmqp } from '../amqp.js';
import { createLogger } from '../logger.js';
import { ReportSeal } from '../trust/report-seal.js';
import { AMQP_URL } from '../../test/support/nexus-under-test.js';
import { syntheticReport } from '../../test/support/synthetic-reports.js';
import { ReportPublisher } from './report-publisher.js';
import { assertReportTopology, deadLetterExchange, deadLetterQueue } from './report-topology.js';

const id = randomUUID().slice(0, 8);
const topology = { exchange: `nexus.test.publisher-${id}.reports`, bridgeQueue: `nexus.test.publisher-${id}.bridge` };
const logger = createLogger('silent');
const tenant = { org_id: 'acme', project_id: `publisher-${id}` };

afterAll(async () => {
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  for (const queue of [topology.bridgeQueue, deadLetterQueue(topology)]) await channel.deleteQueue(queue);
  for (const exchange of [topology.exchange, deadLetterExchange(topology)]) await channel.deleteExchange(exchange);
  await connection.close();
});

describe('ReportPublisher', () => {
  it('declares only the exchange, and calls a report unroutable (to be retried) until the bridge has declared its queue', async () => {
    const amqp = await connectAmqp({ url: AMQP_URL, logger, name: 'publisher-test' });
    await amqp.waitForConnect();
    const publisher = new ReportPublisher(amqp, topology, new ReportSeal([{ id: 'k', key: randomBytes(32) }]), logger);
    const inspect = await amqplib.connect(AMQP_URL);
    try {
      await expect(publisher.publish([syntheticReport(tenant, 'early', 0)])).rejects.toThrow(/no queue takes/);
      const channel = await inspect.createChannel();
      // The publisher made the exchange and no queue: it cannot declare, and so cannot read, the bridge's queue.
      await channel.checkExchange(topology.exchange);
      const probe = await inspect.createChannel();
      // A missing queue closes the channel it was asked on: expected here.
      probe.on('error', () => undefined);
      const missing = await probe.checkQueue(topology.bridgeQueue).then(() => 'exists', () => 'missing');
      expect(missing).toBe('missing');
      // Once the bridge has declared its topology, the same report goes through and waits in the queue.
      await assertReportTopology(channel, topology);
      await publisher.publish([syntheticReport(tenant, 'early', 0)]);
      expect((await channel.checkQueue(topology.bridgeQueue)).messageCount).toBe(1);
    } finally {
      await publisher.close();
      await amqp.close();
      await inspect.close();
    }
  });
});
