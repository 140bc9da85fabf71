import type { RecoveringChannelModel } from 'amqplib';
import { AgentAnnouncement } from '../../contracts/index.js';
import type { Logger } from '../../infra/logger.js';
import type { AgentDirectory } from './agent-directory.js';
import type { RemoteTopology } from './remote-topology.js';

/**
 * Every NEXUS process that needs the catalog (API, worker) hears announcements on its own exclusive queue, so a
 * restart of one process never takes another's view away. Re-subscribed by amqplib's recovery `setup`.
 */
export async function listenForAnnouncements(model: Pick<RecoveringChannelModel, 'createChannel'>, topology: RemoteTopology, directory: AgentDirectory, logger: Logger): Promise<void> {
  const channel = await model.createChannel();
  await channel.assertExchange(topology.announcementsExchange, 'fanout', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, topology.announcementsExchange, '');
  await channel.consume(queue, (msg) => {
    if (!msg) return;
    try {
      const parsed = AgentAnnouncement.safeParse(JSON.parse(msg.content.toString('utf8')));
      if (parsed.success) directory.announce(parsed.data);
      else logger.warn({ issue: parsed.error.issues[0]?.message }, 'invalid agent announcement ignored');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'unreadable agent announcement ignored');
    }
  }, { noAck: true });
}
