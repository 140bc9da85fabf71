import { randomUUID } from 'node:crypto';
import amqplib, { type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckWindow } from '../../bridge/ack-window.js';
import { AMQP_URL } from '../support/nexus-under-test.js';
import { until } from '../support/until.js';
let connection: amqplib.ChannelModel;

beforeAll(async () => {
  connection = await amqplib.connect(AMQP_URL);
});
afterAll(async () => {
  await connection.close();
});

/** A queue of its own holding `count` messages, consumed on a channel whose errors are recorded. */
async function delivered(count: number) {
  const queue = `nexus-test-ack-window-${randomUUID()}`;
  const channel = await connection.createChannel();
  const errors: string[] = [];
  channel.on('error', (err: Error) => errors.push(err.message));
  await channel.assertQueue(queue, { exclusive: true });
  for (let i = 0; i < count; i++) channel.sendToQueue(queue, Buffer.from(String(i)));
  await channel.prefetch(count);
  const messages: ConsumeMessage[] = [];
  await channel.consume(queue, (msg) => {
    if (msg) messages.push(msg);
  });
  await until(async () => messages.length === count, 10_000, `${count} deliveries`);
  return { queue, channel, errors, messages };
}

describe('AckWindow on a real RabbitMQ channel', () => {
  it('settles every message once, in any order, with nothing acked twice or left outstanding', async () => {
    const { queue, channel, errors, messages } = await delivered(200);
    const window = new AckWindow(channel);
    for (const msg of messages) window.delivered(msg);
    // Stored out of order as lanes finish: a late head, runs in order, gaps, dead letters among them; and one
    // message (100) never stored, a command stuck in its lane, which must hold back nothing after it.
    const order = [...messages.slice(50, 120), ...messages.slice(0, 50).reverse(), ...messages.slice(120)];
    for (const [i, msg] of order.entries()) {
      const n = Number(msg.content.toString());
      if (n === 100) continue;
      if (n % 17 === 0) window.nack(msg);
      else window.ack(msg);
      // Several ticks, as the Redis answers come in batches.
      if (i % 30 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setImmediate(resolve));
    // Closing the channel requeues what is still outstanding, all at once: only the one never stored may be there.
    // A double ack would have closed the channel with an error long before.
    const check = await connection.createChannel();
    await channel.close();
    await until(async () => (await check.checkQueue(queue)).messageCount > 0, 5_000, 'the unsettled message to be requeued');
    expect((await check.checkQueue(queue)).messageCount).toBe(1);
    const requeued = await check.get(queue);
    expect(requeued && requeued.content.toString()).toBe('100');
    expect(errors).toEqual([]);
    await check.close();
  });

  it('acks a run of in-order messages with one frame, and one stored after a gap at once', async () => {
    const { queue, channel, errors, messages } = await delivered(10);
    const window = new AckWindow(channel);
    for (const msg of messages) window.delivered(msg);
    const frames: Array<[number, boolean]> = [];
    const ack = channel.ack.bind(channel);
    channel.ack = (msg: amqplib.Message, allUpTo?: boolean) => {
      frames.push([msg.fields.deliveryTag, allUpTo ?? false]);
      ack(msg, allUpTo);
    };
    const [first, second, third, , fifth] = messages;
    for (const msg of [first, second, third, fifth]) if (msg) window.ack(msg);
    await new Promise((resolve) => setImmediate(resolve));
    expect(frames).toEqual([[third?.fields.deliveryTag, true], [fifth?.fields.deliveryTag, false]]);
    for (const msg of messages.slice(3)) if (msg !== fifth) window.ack(msg);
    await new Promise((resolve) => setImmediate(resolve));
    // The run from the fourth on ends in one frame; the fifth, acked alone before, is no longer outstanding.
    expect(frames.at(-1)).toEqual([messages.at(-1)?.fields.deliveryTag, true]);
    expect(frames).toHaveLength(3);
    // A round trip on the channel after the acks: had one of them been refused, the channel would be closed by now.
    await channel.checkQueue(queue);
    expect(errors).toEqual([]);
    await channel.close();
  });
});
