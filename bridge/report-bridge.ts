import type { Channel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import { Report } from '../contracts/index.js';
import { connectAmqp } from '../infra/amqp.js';
import { backoffDelay, sleep } from '../infra/backoff.js';
import type { Logger } from '../infra/logger.js';
import { assertReportTopology, type ReportTopology } from '../messaging/report-topology.js';
import type { ReportStore } from '../store/report-store.js';

export interface ReportBridgeOptions {
  amqpUrl: string;
  topology: ReportTopology;
  prefetch: number;
  store: ReportStore;
  logger: Logger;
}

/**
 * Moves reports from RabbitMQ into Redis Streams. A message is acked only after Redis answered; the append is
 * idempotent by report_id, so redelivery after a crash or a broker restart never duplicates a report.
 * amqplib's recovery re-runs `setup` after every reconnect, which re-declares the topology and re-subscribes.
 */
export class ReportBridge {
  private connection: RecoveringChannelModel | undefined;
  private readonly stopping = new AbortController();
  private readonly log: Logger;
  /**
   * Messages are stored one after another in delivery order. Concurrent appends would race once Redis comes
   * back from an outage, and a command's task_completed could land before its command_accepted.
   */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: ReportBridgeOptions) {
    this.log = options.logger.child({ module: 'bridge' });
  }

  async start(): Promise<void> {
    this.connection = await connectAmqp({
      url: this.options.amqpUrl,
      logger: this.log,
      name: 'bridge',
      setup: async (model) => {
        const channel = await model.createChannel();
        channel.on('error', (err: Error) => this.log.warn({ err: err.message }, 'bridge channel error'));
        await assertReportTopology(channel, this.options.topology);
        await channel.prefetch(this.options.prefetch);
        await channel.consume(this.options.topology.bridgeQueue, (msg) => {
          if (msg) this.queue = this.queue.then(() => this.handle(channel, msg));
        });
        this.log.info({ queue: this.options.topology.bridgeQueue }, 'bridge consuming');
      },
    });
    await this.connection.waitForConnect();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.connection?.close().catch(() => undefined);
  }

  private async handle(channel: Channel, msg: ConsumeMessage): Promise<void> {
    const report = parse(msg);
    if (!report) {
      this.log.warn(
        { message_id: msg.properties.messageId, correlation_id: msg.properties.correlationId, routing_key: msg.fields.routingKey },
        'invalid report dead-lettered',
      );
      safely(() => channel.nack(msg, false, false));
      return;
    }
    const appended = await this.appendUntilStored(report);
    // When stopping, the message stays unacked and RabbitMQ redelivers it to the next bridge.
    if (appended) safely(() => channel.ack(msg));
  }

  /** Redis outages are waited out with the message held unacked: nothing is dropped, and prefetch bounds memory. */
  private async appendUntilStored(report: Report): Promise<boolean> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      try {
        const { id, added } = await this.options.store.append(report);
        this.log.debug({ correlation_id: report.correlation_id, report_id: report.report_id, stream_id: id, added }, 'report stored');
        return true;
      } catch (err) {
        const delay = backoffDelay(attempt, 200, 5_000);
        this.log.warn({ correlation_id: report.correlation_id, report_id: report.report_id, attempt, delay_ms: delay, err: (err as Error).message }, 'redis write failed, retrying');
        await sleep(delay, this.stopping.signal);
      }
    }
    return false;
  }
}

function parse(msg: ConsumeMessage): Report | undefined {
  try {
    const parsed = Report.safeParse(JSON.parse(msg.content.toString('utf8')));
    if (!parsed.success) return undefined;
    // The AMQP correlation_id property and the body must agree; a message that disagrees is not trusted.
    if (msg.properties.correlationId && msg.properties.correlationId !== parsed.data.correlation_id) return undefined;
    return parsed.data;
  } catch {
    return undefined;
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
