import type { Channel } from 'amqplib';
import { REMOTE_EXCHANGES } from '../../contracts/index.js';

export interface RemoteTopology {
  tasksExchange: string;
  announcementsExchange: string;
  /** Where agents send heartbeats and results for this install's tasks. */
  repliesQueue: string;
}

export function remoteTopology(prefix = ''): RemoteTopology {
  return {
    tasksExchange: `${prefix}${REMOTE_EXCHANGES.tasks}`,
    announcementsExchange: `${prefix}${REMOTE_EXCHANGES.announcements}`,
    repliesQueue: `${prefix}${REMOTE_EXCHANGES.tasks}.replies`,
  };
}

/** The queue a remote agent declares for its tasks (docs/remote-agent-protocol.md). */
export function agentQueue(prefix: string, agent: string): string {
  return `${prefix}nexus.agent.${agent}`;
}

export async function assertRemoteTopology(channel: Channel, t: RemoteTopology): Promise<void> {
  await channel.assertExchange(t.tasksExchange, 'topic', { durable: true });
  await channel.assertExchange(t.announcementsExchange, 'fanout', { durable: true });
  await channel.assertQueue(t.repliesQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
}
