import { appendFileSync } from 'node:fs';
import amqplib, { type Channel, type ConsumeMessage } from 'amqplib';

/**
 * The reference remote agent: `text.shout` upper-cases text, slowly if asked. It speaks the protocol of
 * docs/remote-agent-protocol.md with nothing but amqplib, the way an agent in any language would: announce,
 * consume tasks, heartbeat while working, reply with a result or an error, never do the same work twice.
 */
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PREFIX = process.env.NEXUS_REMOTE_PREFIX ?? '';
const WORK_LOG = process.env.REFERENCE_AGENT_WORK_LOG;
const NAME = 'text.shout';
const TASKS = `${PREFIX}nexus.tasks`;
const AGENTS = `${PREFIX}nexus.agents`;
const QUEUE = `${PREFIX}nexus.agent.${NAME}`;
const TTL_SECONDS = 15;

const announcement = {
  name: NAME,
  description: 'Upper-cases the given text (reference remote agent; delay_ms makes it slow).',
  risk_level: 'GREEN',
  ttl_seconds: TTL_SECONDS,
  instance_id: `${process.pid}`,
  params_schema: {
    type: 'object',
    properties: { text: { type: 'string', minLength: 1, maxLength: 10000 }, delay_ms: { type: 'integer', minimum: 0, maximum: 60000 } },
    required: ['text'],
    additionalProperties: false,
  },
};

interface Task {
  task_token: string;
  params: { text: string; delay_ms?: number };
  idempotency_key: string;
  heartbeat_timeout_ms: number;
  reply_to: string;
  correlation_id: string;
}

/**
 * Work by idempotency key, in flight or done: a redelivered or retried task (a new attempt has a new task token,
 * the same key) gets the same answer without the work being done twice.
 */
const work = new Map<string, Promise<unknown>>();

function log(message: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ agent: NAME, msg: message, ...extra })}\n`);
}

function reply(channel: Channel, task: Task, body: Record<string, unknown>): void {
  channel.sendToQueue(task.reply_to, Buffer.from(JSON.stringify({ task_token: task.task_token, ...body })), {
    persistent: true,
    correlationId: task.correlation_id,
    contentType: 'application/json',
  });
}

async function shout(task: Task): Promise<unknown> {
  log('working', { correlation_id: task.correlation_id, idempotency_key: task.idempotency_key });
  await new Promise((resolve) => setTimeout(resolve, task.params.delay_ms ?? 0));
  if (WORK_LOG) appendFileSync(WORK_LOG, `${task.idempotency_key}\n`);
  return { text: task.params.text.toUpperCase(), length: task.params.text.length };
}

async function handle(channel: Channel, msg: ConsumeMessage): Promise<void> {
  const task = JSON.parse(msg.content.toString('utf8')) as Task;
  // Heartbeat from the start, for this task's token, while the work (maybe shared with another attempt) runs.
  const beat = setInterval(() => reply(channel, task, { type: 'heartbeat', details: { step: 'working' } }), Math.max(200, task.heartbeat_timeout_ms / 3));
  try {
    reply(channel, task, { type: 'heartbeat' });
    let running = work.get(task.idempotency_key);
    if (!running) {
      running = shout(task);
      work.set(task.idempotency_key, running);
      running.catch(() => work.delete(task.idempotency_key));
      // Long enough to answer every retry of this task; short enough not to grow without bound.
      setTimeout(() => work.delete(task.idempotency_key), 10 * 60_000).unref();
    }
    const result = await running;
    reply(channel, task, { type: 'result', result });
    log('done', { correlation_id: task.correlation_id });
  } catch (err) {
    reply(channel, task, { type: 'error', error: { code: 'shout_failed', message: (err as Error).message, retryable: true } });
  } finally {
    clearInterval(beat);
    channel.ack(msg);
  }
}

async function main(): Promise<void> {
  const connection = await amqplib.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(TASKS, 'topic', { durable: true });
  await channel.assertExchange(AGENTS, 'fanout', { durable: true });
  await channel.assertQueue(QUEUE, { durable: true });
  await channel.bindQueue(QUEUE, TASKS, NAME);
  await channel.prefetch(4);
  const announce = () => channel.publish(AGENTS, '', Buffer.from(JSON.stringify(announcement)), { contentType: 'application/json' });
  announce();
  setInterval(announce, (TTL_SECONDS * 1000) / 3).unref();
  await channel.consume(QUEUE, (msg) => {
    if (msg) void handle(channel, msg);
  });
  log('ready', { queue: QUEUE });
  const stop = () => void connection.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`reference agent: ${(err as Error).message}\n`);
  process.exit(1);
});
