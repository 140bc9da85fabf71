import type { Channel, ConfirmChannel, Options, RecoveringChannelModel } from 'amqplib';

export class UnroutableError extends Error {
  readonly code = 'unroutable';
}

/**
 * One confirm channel, reopened after a broker restart, that resolves a publish only when RabbitMQ confirmed it.
 * Messages go out `mandatory`: one that no queue would take is an UnroutableError, never a silent drop.
 */
export class ConfirmPublisher {
  private channel: Promise<ConfirmChannel> | undefined;
  private readonly returned = new Set<string>();

  constructor(
    private readonly connection: Pick<RecoveringChannelModel, 'createConfirmChannel'>,
    /** Declares what the messages need (exchanges, queues) on every new channel. */
    private readonly declare: (channel: Channel) => Promise<void>,
  ) {}

  async publish(exchange: string, routingKey: string, body: Buffer, options: Options.Publish & { messageId: string }): Promise<void> {
    let channel: ConfirmChannel;
    try {
      channel = await this.open();
    } catch (err) {
      throw new Error(`no channel to RabbitMQ: ${(err as Error).message}`);
    }
    await new Promise<void>((resolve, reject) => {
      try {
        channel.publish(exchange, routingKey, body, { ...options, mandatory: true }, (err) => {
          if (err) return reject(new Error(`RabbitMQ refused message ${options.messageId}`));
          if (this.returned.delete(options.messageId)) return reject(new UnroutableError(`no queue takes ${routingKey} on ${exchange}`));
          resolve();
        });
      } catch (err) {
        this.channel = undefined;
        reject(err);
      }
    });
  }

  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await (await channel).close().catch(() => undefined);
  }

  private open(): Promise<ConfirmChannel> {
    if (!this.channel) {
      const opening = (async () => {
        const channel = await this.connection.createConfirmChannel();
        channel.on('return', (msg: { properties: { messageId?: string } }) => {
          if (msg.properties.messageId) this.returned.add(msg.properties.messageId);
        });
        // Errors close the channel; the next publish opens a new one.
        channel.on('error', () => undefined);
        channel.on('close', () => {
          if (this.channel === opening) this.channel = undefined;
        });
        await this.declare(channel);
        return channel;
      })();
      opening.catch(() => {
        if (this.channel === opening) this.channel = undefined;
      });
      this.channel = opening;
    }
    return this.channel;
  }
}
