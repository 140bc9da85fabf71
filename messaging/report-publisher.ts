import type { ConfirmChannel, RecoveringChannelModel } from 'amqplib';
import type { Report } from '../contracts/index.js';
import type { Logger } from '../infra/logger.js';
import { assertReportTopology, routingKeyFor, type ReportTopology } from './report-topology.js';

export class PublishError extends Error {
  readonly code = 'report_publish_failed';
}

/**
 * Publishes reports as persistent messages on a confirm channel and resolves only once RabbitMQ has confirmed
 * every one of them, so an activity that returns has really handed its reports over. `mandatory` turns a
 * missing binding into an error instead of a silent drop.
 */
export class ReportPublisher {
  private channel: Promise<ConfirmChannel> | undefined;
  private readonly returned = new Set<string>();

  constructor(
    private readonly connection: RecoveringChannelModel,
    private readonly topology: ReportTopology,
    private readonly logger: Logger,
  ) {}

  async publish(reports: readonly Report[]): Promise<void> {
    const channel = await this.openChannel();
    await Promise.all(reports.map((report) => this.publishOne(channel, report)));
  }

  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await (await channel).close().catch(() => undefined);
  }

  private publishOne(channel: ConfirmChannel, report: Report): Promise<void> {
    return new Promise((resolve, reject) => {
      const body = Buffer.from(JSON.stringify(report));
      try {
        channel.publish(
          this.topology.exchange,
          routingKeyFor(report),
          body,
          {
            persistent: true,
            mandatory: true,
            contentType: 'application/json',
            messageId: report.report_id,
            correlationId: report.correlation_id,
            type: report.report_type,
            timestamp: Math.floor(Date.parse(report.ts) / 1000),
            appId: 'nexus',
          },
          (err) => {
            if (err) return reject(new PublishError(`RabbitMQ refused report ${report.report_id}`));
            if (this.returned.delete(report.report_id)) {
              return reject(new PublishError(`no queue bound for report ${report.report_id}`));
            }
            resolve();
          },
        );
      } catch (err) {
        this.channel = undefined;
        reject(new PublishError(`publish failed: ${(err as Error).message}`));
      }
    });
  }

  private openChannel(): Promise<ConfirmChannel> {
    if (!this.channel) {
      const opening = (async () => {
        const channel = await this.connection.createConfirmChannel();
        channel.on('return', (msg: { properties: { messageId?: string } }) => {
          if (msg.properties.messageId) this.returned.add(msg.properties.messageId);
        });
        channel.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'publish channel error'));
        channel.on('close', () => {
          if (this.channel === opening) this.channel = undefined;
        });
        await assertReportTopology(channel, this.topology);
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
