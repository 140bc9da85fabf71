import amqplib from 'amqplib';
import type { Logger } from './logger.js';
import { backoffDelay } from './backoff.js';
import { serviceAddress } from './service-address.js';

export type AmqpConnection = Awaited<ReturnType<typeof connectAmqp>>;
export type AmqpChannel = amqplib.Channel;
export type AmqpSetup = (connection: amqplib.ChannelModel) => Promise<void>;

export interface AmqpOptions {
  url: string;
  logger: Logger;
  name: string;
  /** Runs after every (re)connect: topology and consumers are recreated here. */
  setup?: AmqpSetup;
}

/**
 * A RabbitMQ connection with amqplib's own recovery: reconnects forever with jittered backoff and logs each
 * attempt, so a broker that is down at start-up or restarts never crashes the process.
 */
export async function connectAmqp({ url, logger, name, setup }: AmqpOptions) {
  const log = logger.child({ component: 'amqp', connection: name, address: serviceAddress(url) });
  const connection = await amqplib.connect(url, {
    clientProperties: { connection_name: `nexus-${name}` },
    recovery: {
      waitForConnect: false,
      maxRetries: Infinity,
      calculateDelay: (attempt: number) => backoffDelay(attempt, 200, 5_000),
      ...(setup ? { setup } : {}),
    },
  });
  connection.on('connect', () => log.info('rabbitmq connected'));
  connection.on('disconnect', (err?: Error) => log.warn({ err: err?.message }, 'rabbitmq disconnected'));
  connection.on('connect-failed', (err?: Error) => log.warn({ err: err?.message }, 'rabbitmq not reachable'));
  connection.on('reconnect-scheduled', (info: { attempt: number; delay: number }) =>
    log.warn({ attempt: info.attempt, delay_ms: info.delay }, 'rabbitmq reconnect scheduled'),
  );
  connection.on('error', (err: Error) => log.warn({ err: err.message }, 'rabbitmq connection error'));
  return connection;
}
