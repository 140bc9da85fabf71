import type { RecoveringChannelModel } from 'amqplib';
import type { RemoteTask } from '../../contracts/index.js';
import { ConfirmPublisher, UnroutableError } from '../../infra/messaging/confirm-publisher.js';
import { assertRemoteTopology, type RemoteTopology } from './remote-topology.js';

export class NoAgentListeningError extends Error {
  readonly code = 'agent_unavailable';
}

/** Publishes tasks for remote agents; a task no agent queue would take is a NoAgentListeningError. */
export class RemoteTaskPublisher {
  private readonly confirm: ConfirmPublisher;

  constructor(connection: RecoveringChannelModel, private readonly topology: RemoteTopology) {
    this.confirm = new ConfirmPublisher(connection, (channel) => assertRemoteTopology(channel, topology));
  }

  async publish(task: RemoteTask): Promise<void> {
    try {
      await this.confirm.publish(this.topology.tasksExchange, task.agent, Buffer.from(JSON.stringify(task)), {
        persistent: true,
        contentType: 'application/json',
        messageId: `${task.idempotency_key}:${task.attempt}`,
        correlationId: task.correlation_id,
        replyTo: task.reply_to,
        // A task nobody picked up within its heartbeat window has been retried already; drop the stale copy.
        expiration: String(task.heartbeat_timeout_ms * 2),
      });
    } catch (err) {
      if (err instanceof UnroutableError) throw new NoAgentListeningError(`no remote agent named ${task.agent} is listening`);
      throw err;
    }
  }

  close(): Promise<void> {
    return this.confirm.close();
  }
}
