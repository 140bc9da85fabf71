import type { RecoveringChannelModel } from 'amqplib';
import type { Report } from '../../contracts/index.js';
import type { Logger } from '../logger.js';
import { CORRELATION_ATTRIBUTE, inSpan, SpanKind, traceHeaders } from '../tracing/trace-context.js';
import { REPORT_SEAL_HEADER, type ReportSeal } from '../trust/report-seal.js';
import { ConfirmPublisher } from './confirm-publisher.js';
import { assertReportExchange, routingKeyFor, type ReportTopology } from './report-topology.js';

export class PublishError extends Error {
  readonly code = 'report_publish_failed';
}

/**
 * Publishes reports as persistent messages, each sealed so the bridge can tell it from one anyone else put on the
 * exchange, and resolves only once RabbitMQ has confirmed every one of them, so an activity that returns has
 * really handed its reports over.
 */
export class ReportPublisher {
  private readonly confirm: ConfirmPublisher;

  constructor(
    connection: RecoveringChannelModel,
    private readonly topology: ReportTopology,
    private readonly seal: ReportSeal,
    private readonly logger: Logger,
  ) {
    this.confirm = new ConfirmPublisher(connection, (channel) => assertReportExchange(channel, topology));
  }

  async publish(reports: readonly Report[]): Promise<void> {
    await Promise.all(reports.map((report) => inSpan(`publish ${report.report_type}`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        [CORRELATION_ATTRIBUTE]: report.correlation_id,
        'nexus.report_type': report.report_type,
        'nexus.report_id': report.report_id,
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': this.topology.exchange,
      },
    }, async () => {
      const body = Buffer.from(JSON.stringify(report));
      try {
        await this.confirm.publish(this.topology.exchange, routingKeyFor(report), body, {
          persistent: true,
          contentType: 'application/json',
          messageId: report.report_id,
          correlationId: report.correlation_id,
          type: report.report_type,
          timestamp: Math.floor(Date.parse(report.ts) / 1000),
          appId: 'nexus',
          // The trace context is outside the seal on purpose: it proves nothing, and the bridge continues a trace
          // only for a message whose seal it verified.
          headers: { [REPORT_SEAL_HEADER]: this.seal.sign(body), ...traceHeaders() },
        });
      } catch (err) {
        this.logger.warn({ correlation_id: report.correlation_id, report_id: report.report_id, err: (err as Error).message }, 'report publish failed');
        throw new PublishError(`report ${report.report_id}: ${(err as Error).message}`);
      }
    })));
  }

  close(): Promise<void> {
    return this.confirm.close();
  }
}
