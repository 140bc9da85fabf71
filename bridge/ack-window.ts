import type { Channel, ConsumeMessage } from 'amqplib';

type Settled = 'ack' | 'sent';

/**
 * Acks one channel's messages as they are stored, many in one frame: at the end of each tick, the run of settled
 * messages from the oldest unsettled one on is acked with `multiple` (one frame for the broker to process instead of
 * one per message, which measured as much of RabbitMQ's CPU as the deliveries). A message stored out of delivery
 * order (its command waited in its lane) is acked on its own in the same tick, so a slow command never holds the
 * prefetch window of the others.
 */
export class AckWindow {
  /** The oldest delivery tag not settled yet; everything below it is acked or dead-lettered. */
  private oldest: number | undefined;
  private readonly settled = new Map<number, { state: Settled | 'nacked'; msg: ConsumeMessage }>();
  private scheduled = false;

  constructor(private readonly channel: Channel) {}

  /** Called for every message of the channel, in delivery order, before it is settled. */
  delivered(msg: ConsumeMessage): void {
    this.oldest ??= msg.fields.deliveryTag;
  }

  ack(msg: ConsumeMessage): void {
    this.settled.set(msg.fields.deliveryTag, { state: 'ack', msg });
    this.schedule();
  }

  /** Dead-letters `msg` now (nothing to batch: these are rare). */
  nack(msg: ConsumeMessage): void {
    safely(() => this.channel.nack(msg, false, false));
    this.settled.set(msg.fields.deliveryTag, { state: 'nacked', msg });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    // The run from the oldest unsettled tag: one ack with `multiple` on its last message still waiting covers every
    // waiting one before it (those acked alone or dead-lettered are no longer outstanding and are left alone).
    let last: ConsumeMessage | undefined;
    while (this.oldest !== undefined) {
      const entry = this.settled.get(this.oldest);
      if (!entry) break;
      if (entry.state === 'ack') last = entry.msg;
      this.settled.delete(this.oldest);
      this.oldest += 1;
    }
    if (last) {
      const upTo = last;
      safely(() => this.channel.ack(upTo, true));
    }
    // Beyond a gap: ack alone, now, so the broker can deliver more while the gap's command is still being stored.
    for (const entry of this.settled.values()) {
      if (entry.state !== 'ack') continue;
      const { msg } = entry;
      safely(() => this.channel.ack(msg));
      entry.state = 'sent';
    }
  }
}

/** Acking on a channel that died is harmless: RabbitMQ redelivers, and the append is idempotent. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // channel closed; the broker will redeliver
  }
}
