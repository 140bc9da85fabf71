import type { AsyncCompletionClient } from '@temporalio/client';
import type { RecoveringChannelModel } from 'amqplib';
import { connectAmqp } from '../../infra/amqp.js';
import { backoffDelay, sleep } from '../../infra/backoff.js';
import type { Logger } from '../../infra/logger.js';
import { AgentDirectory } from './agent-directory.js';
import { listenForAnnouncements } from './announcement-listener.js';
import { handleRemoteReply } from './reply-handler.js';
import { RemoteTaskPublisher } from './remote-task-publisher.js';
import { assertRemoteTopology, type RemoteTopology } from './remote-topology.js';

export interface RemoteAgents {
  directory: AgentDirectory;
  publisher: RemoteTaskPublisher;
  connection: RecoveringChannelModel;
  close(): Promise<void>;
}

/**
 * Everything a process needs for remote agents, on one recovering connection whose `setup` re-subscribes after
 * every reconnect: the announcement listener (API and worker) and, in the worker, the reply consumer.
 */
export async function startRemoteAgents(options: { url: string; topology: RemoteTopology; logger: Logger; completion?: AsyncCompletionClient }): Promise<RemoteAgents> {
  const log = options.logger.child({ module: 'remote-agents' });
  const directory = new AgentDirectory();
  const stopping = new AbortController();
  const connection = await connectAmqp({
    url: options.url,
    logger: log,
    name: 'remote-agents',
    setup: async (model) => {
      await listenForAnnouncements(model, options.topology, directory, log);
      const completion = options.completion;
      if (!completion) return;
      const channel = await model.createChannel();
      let closed = false;
      channel.on('close', () => {
        closed = true;
      });
      channel.on('error', () => undefined);
      await assertRemoteTopology(channel, options.topology);
      await channel.prefetch(32);
      let queue = Promise.resolve();
      await channel.consume(options.topology.repliesQueue, (msg) => {
        if (!msg) return;
        // In order, acked only after Temporal took it; Temporal outages are waited out like Redis ones in the bridge.
        queue = queue.then(async () => {
          // Stop when this channel is gone: RabbitMQ redelivers the reply to the next consumer.
          for (let attempt = 1; !stopping.signal.aborted && !closed; attempt++) {
            try {
              const outcome = await handleRemoteReply(msg.content, completion, log);
              if (outcome === 'invalid') log.warn({ correlation_id: msg.properties.correlationId }, 'invalid remote reply dropped');
              break;
            } catch (err) {
              log.warn({ attempt, err: (err as Error).message }, 'temporal did not take a remote reply; retrying');
              await sleep(backoffDelay(attempt, 200, 5_000), stopping.signal);
            }
          }
          try {
            channel.ack(msg);
          } catch {
            // the channel died; the reply is redelivered and handled again (stale replies are dropped)
          }
        }).catch(() => undefined);
      });
    },
  });
  await connection.waitForConnect();
  const publisher = new RemoteTaskPublisher(connection, options.topology);
  return {
    directory,
    publisher,
    connection,
    async close() {
      stopping.abort();
      await publisher.close();
      await connection.close().catch(() => undefined);
    },
  };
}
