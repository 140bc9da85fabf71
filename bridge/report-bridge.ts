import type { Channel, ChannelModel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import { Report, type ReportOf } from '../contracts/index.js';
import { connectAmqp } from '../infra/amqp.js';
import { checkAmqp } from '../infra/health-checks.js';
import { backoffDelay, sleep } from '../infra/backoff.js';
import { NexusMetrics } from '../infra/metrics/nexus-metrics.js';
import type { Logger } from '../infra/logger.js';
import { isPassingRedisReply } from '../infra/redis.js';
import { assertReportTopology, isUnorderedQueueRefusal, type ReportTopology } from '../infra/messaging/report-topology.js';
import type { ReportStore } from '../infra/store/report-store.js';
import { SECURITY_LOG, type AuditLog } from '../infra/store/audit-log.js';
import type { RefusalBudget } from '../infra/store/refusal-budget.js';
import { REPORT_SEAL_HEADER, type ReportSeal, type ReportSealRefusal } from '../infra/trust/report-seal.js';
import { CORRELATION_ATTRIBUTE, failSpan, inSpan, ROOT_CONTEXT, SpanKind, traceContextOf, traceHeaders, type Span } from '../infra/tracing/trace-context.js';
import { AckWindow } from './ack-window.js';
import { CommandLanes } from './command-lanes.js';
import { OutageNotice } from './outage-notice.js';
import { migrateToOrderedQueue } from './unordered-queue-migration.js';

const POISON_ATTEMPTS = 5;
/** At most one warning this often while reports fail to store; each report's retry is a debug line. */
const OUTAGE_WARN_INTERVAL_MS = 5_000;
/** Refused messages (unsealed, invalid) share one lane: their order means nothing, and one lane at a time bounds the audit writes a flood causes. */
const REFUSED_LANE = '';

export interface ReportBridgeOptions {
  amqpUrl: string;
  topology: ReportTopology;
  prefetch: number;
  store: ReportStore;
  /** Where the store's Redis is (`serviceAddress`), named in the retry lines of a failing write. */
  redisAddress: string;
  metrics: NexusMetrics;
  /** Where accepted commands are audited (from their `command_accepted` report), exactly once. */
  audit: AuditLog;
  /** Only reports NEXUS sealed are stored; anything else on the exchange is dead-lettered and audited. */
  seal: ReportSeal;
  /** Bounds how many refused reports are audited one by one (someone flooding the exchange). */
  refusals: RefusalBudget;
  logger: Logger;
}

/**
 * Moves reports from RabbitMQ into Redis Streams. A message is acked only after Redis answered; the append is
 * idempotent by report_id, so redelivery after a crash or a broker restart never duplicates a report. Up to
 * `prefetch` messages are stored at once, each command's in order (`CommandLanes`).
 * amqplib's recovery re-runs `setup` after every reconnect, which re-declares the topology and re-subscribes.
 * Any number of bridges may run: the queue has a single active consumer, so one of them stores (in the queue's
 * order) and the others stand by until its connection or channel goes.
 */
export class ReportBridge {
  private connection: RecoveringChannelModel | undefined;
  private readonly stopping = new AbortController();
  private readonly log: Logger;
  /**
   * A command's reports are stored one after another in delivery order: appends racing a Redis outage could let a
   * command's task_completed land before its command_accepted. Different commands' reports go to Redis back to
   * back, in delivery order, without waiting for each other's replies.
   */
  private readonly lanes = new CommandLanes();
  /**
   * Channels the broker no longer delivers on. Their messages still waiting here are skipped: RabbitMQ gives them
   * to the next active bridge, and storing them here too, late, could put them after newer reports it stored.
   */
  private readonly gone = new WeakSet<Channel>();
  private readonly ackWindows = new WeakMap<Channel, AckWindow>();
  private readonly outage = new OutageNotice(OUTAGE_WARN_INTERVAL_MS);

  constructor(private readonly options: ReportBridgeOptions) {
    this.log = options.logger.child({ module: 'bridge' });
  }

  async start(): Promise<void> {
    this.connection = await connectAmqp({
      url: this.options.amqpUrl,
      logger: this.log,
      name: 'bridge',
      setup: (model) => this.subscribe(model),
    });
    await this.connection.waitForConnect();
  }

  /**
   * amqplib's recovery re-runs this after a *connection* loss; a channel the broker closes on its own (consumer
   * timeout, a cancelled consumer) is re-subscribed here, on the same connection, or by recovery if that is gone.
   */
  private async subscribe(model: ChannelModel): Promise<void> {
    await this.ensureTopology(model);
    const channel = await model.createChannel();
    channel.on('error', (err: Error) => this.log.warn({ err: err.message }, 'bridge channel error'));
    channel.on('close', () => {
      this.gone.add(channel);
      if (this.stopping.signal.aborted) return;
      setTimeout(() => {
        this.subscribe(model).catch((err: unknown) => this.log.debug({ err: (err as Error).message }, 'bridge re-subscribe left to connection recovery'));
      }, 500);
    });
    await channel.prefetch(this.options.prefetch);
    await channel.consume(this.options.topology.bridgeQueue, (msg) => {
      if (msg) this.enqueue(channel, msg);
      // The broker cancelled the consumer (queue deleted or moved): drop the channel so it is re-subscribed.
      else void channel.close().catch(() => undefined);
    });
    this.log.info({ queue: this.options.topology.bridgeQueue }, 'bridge consuming (active, or standing by for the active bridge)');
  }

  /** Declared on a channel of its own: a refused declaration closes it, and the consuming channel's re-subscribe must not spin on that. */
  private async ensureTopology(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      await assertReportTopology(channel, this.options.topology);
      await channel.close();
      return;
    } catch (err) {
      if (!isUnorderedQueueRefusal(err)) throw err;
    }
    await migrateToOrderedQueue({
      model,
      topology: this.options.topology,
      prefetch: this.options.prefetch,
      handle: (channel, msg) => this.enqueue(channel, msg),
      idle: () => this.lanes.idle(),
      signal: this.stopping.signal,
      log: this.log,
    });
  }

  private enqueue(channel: Channel, msg: ConsumeMessage): void {
    this.acks(channel).delivered(msg);
    const sealed = this.options.seal.verify(msg.content, msg.properties.headers?.[REPORT_SEAL_HEADER]);
    // Only a sealed body is read: what an unsealed one says (its command, its tenant) decides nothing.
    const report = sealed.ok ? parse(msg) : undefined;
    const lane = report ? `${report.org_id}/${report.project_id}/${report.workflow_id}` : REFUSED_LANE;
    this.lanes.run(lane, async () => {
      if (this.gone.has(channel)) return;
      try {
        await this.handle(channel, msg, sealed, report);
      } catch (err) {
        // An unexpected failure (the refusal's audit write) must not stop the lane behind it: the channel goes,
        // its unacked messages come back, and the bridge re-subscribes.
        this.log.error({ correlation_id: msg.properties.correlationId, err: (err as Error).message }, 'report handling failed; re-subscribing');
        void channel.close().catch(() => undefined);
      }
    });
  }

  private acks(channel: Channel): AckWindow {
    let window = this.ackWindows.get(channel);
    if (!window) {
      window = new AckWindow(channel);
      this.ackWindows.set(channel, window);
    }
    return window;
  }

  /** RabbitMQ answers on the bridge's own connection (its health check). */
  async check(): Promise<void> {
    if (!this.connection) throw new Error('the bridge has not connected');
    await checkAmqp(this.connection);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.connection?.close().catch(() => undefined);
  }

  private async handle(channel: Channel, msg: ConsumeMessage, sealed: ReturnType<ReportSeal['verify']>, report: Report | undefined): Promise<void> {
    // Anyone who can publish can write a traceparent: only a message NEXUS sealed continues the trace it names.
    const parent = sealed.ok ? traceContextOf(msg.properties.headers) : ROOT_CONTEXT;
    await inSpan('store report', {
      kind: SpanKind.CONSUMER,
      parent,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': this.options.topology.bridgeQueue,
        'messaging.message.redelivered': msg.fields.redelivered,
        // Whatever the publisher claims, bounded: it names the message for an operator, nothing more.
        ...(typeof msg.properties.messageId === 'string' ? { 'messaging.message.id': msg.properties.messageId.slice(0, 200) } : {}),
      },
    }, (span) => this.process(channel, msg, sealed, report, span));
  }

  private async process(channel: Channel, msg: ConsumeMessage, sealed: ReturnType<ReportSeal['verify']>, report: Report | undefined, span: Span): Promise<void> {
    const { metrics } = this.options;
    if (msg.fields.redelivered) metrics.bridgeRedeliveries.inc();
    if (!sealed.ok) {
      metrics.bridgeDeadLetters.inc({ reason: 'unsealed' });
      failSpan(span, `dead-lettered: ${sealed.code}`);
      await this.refuse(msg, sealed.code);
      this.acks(channel).nack(msg);
      return;
    }
    if (!report) {
      metrics.bridgeDeadLetters.inc({ reason: 'invalid' });
      failSpan(span, 'dead-lettered: invalid report');
      this.log.warn(
        { message_id: msg.properties.messageId, correlation_id: msg.properties.correlationId, routing_key: msg.fields.routingKey },
        'invalid report dead-lettered',
      );
      this.acks(channel).nack(msg);
      return;
    }
    span.updateName(`store ${report.report_type}`);
    span.setAttributes({ [CORRELATION_ATTRIBUTE]: report.correlation_id, 'nexus.report_type': report.report_type, 'nexus.report_id': report.report_id });
    const appended = await this.appendUntilStored(channel, report, traceHeaders().traceparent ?? '');
    // Left (stopping, or the channel went): the message stays unacked and RabbitMQ redelivers it to the next bridge.
    if (appended === 'stored') this.acks(channel).ack(msg);
    else if (appended === 'poison') {
      metrics.bridgeDeadLetters.inc({ reason: 'poison' });
      failSpan(span, 'dead-lettered: Redis keeps refusing it');
      this.log.error({ correlation_id: report.correlation_id, report_id: report.report_id }, 'report Redis keeps refusing dead-lettered');
      this.acks(channel).nack(msg);
    }
  }

  /** Kept in the dead-letter queue for an operator, logged, and audited in the security log within a budget. */
  private async refuse(msg: ConsumeMessage, code: ReportSealRefusal): Promise<void> {
    const claimed = claimsOf(msg);
    this.log.warn({ message_id: msg.properties.messageId, routing_key: msg.fields.routingKey, code, ...claimed }, 'report not sealed by NEXUS dead-lettered');
    const subject = { key: 'reports:refused', org: SECURITY_LOG, principal: 'reports exchange', principal_kind: 'amqp' };
    if ((await this.options.refusals.spend(subject)) === 'skip') return;
    await this.options.audit.append(SECURITY_LOG, {
      event: 'report_refused',
      code,
      routing_key: msg.fields.routingKey.slice(0, 300),
      ...(typeof msg.properties.messageId === 'string' ? { message_id: msg.properties.messageId.slice(0, 400) } : {}),
      ...claimed,
    });
  }

  private async auditCommand(report: ReportOf<'command_accepted'>): Promise<void> {
    await this.options.audit.appendOnce(report.org_id, report.report_id, {
      event: 'command_started',
      principal: report.payload.requested_by ?? 'unknown',
      principal_kind: 'requester',
      correlation_id: report.correlation_id,
      workflow_id: report.workflow_id,
      project_id: report.project_id,
      command_type: report.payload.type,
    });
  }

  /** Redis outages are waited out with the message held unacked: nothing is dropped, and prefetch bounds memory. */
  private async appendUntilStored(channel: Channel, report: Report, traceparent: string): Promise<'stored' | 'poison' | 'left'> {
    try {
      return await this.tryAppend(channel, report, traceparent);
    } finally {
      this.outage.stored(report.report_id);
    }
  }

  private async tryAppend(channel: Channel, report: Report, traceparent: string): Promise<'stored' | 'poison' | 'left'> {
    // Once the channel is gone the message belongs to whichever bridge RabbitMQ gives it to next.
    for (let attempt = 1; !this.stopping.signal.aborted && !this.gone.has(channel); attempt++) {
      try {
        const { id, added, askedAt } = await this.options.store.append(report, traceparent);
        if (report.report_type === 'ask_created') await this.options.store.rememberAskTenant(report);
        countStored(this.options.metrics, report, added, askedAt);
        // Before the ack, like the report: a crash in between redelivers, and both writes are idempotent.
        if (report.report_type === 'command_accepted') await this.auditCommand(report);
        this.log.debug({ correlation_id: report.correlation_id, report_id: report.report_id, stream_id: id, added }, 'report stored');
        return 'stored';
      } catch (err) {
        // Connection trouble is waited out; Redis *answering* with an error (a wrong-type key, a script error) for
        // the same report again and again will not heal, and must not stop every tenant's reports behind it.
        if ((err as Error).name === 'ReplyError' && !isPassingRedisReply(err) && attempt >= POISON_ATTEMPTS) return 'poison';
        const delay = backoffDelay(attempt, 200, 5_000);
        const line = { correlation_id: report.correlation_id, report_id: report.report_id, address: this.options.redisAddress, attempt, delay_ms: delay, err: (err as Error).message };
        if (this.outage.failed(report.report_id)) this.log.warn({ ...line, reports_waiting: this.outage.count }, 'redis write failed, retrying');
        else this.log.debug(line, 'redis write failed, retrying');
        await sleep(delay, this.stopping.signal);
      }
    }
    return 'left';
  }
}

/** What one stored report says about NEXUS's work; a duplicate (already in Redis) counts once, as a duplicate. */
function countStored(metrics: NexusMetrics, report: Report, added: boolean, askedAt: string | undefined): void {
  metrics.bridgeReports.inc({ result: added ? 'stored' : 'duplicate' });
  if (!added) return;
  metrics.storeLag.observe(NexusMetrics.secondsSince(report.ts));
  switch (report.report_type) {
    case 'command_accepted':
      metrics.commandsStarted.inc({ type: report.payload.type });
      break;
    case 'ask_created':
      metrics.asksCreated.inc({ risk_level: report.payload.risk_level });
      break;
    case 'ask_resolved':
      // Nobody decided a withdrawn ask: it is neither a person's denial nor a decision's latency.
      if (report.payload.withdrawn) {
        metrics.asksEnded.inc({ outcome: 'withdrawn' });
        break;
      }
      metrics.asksEnded.inc({ outcome: report.payload.decision });
      if (askedAt) metrics.decisionSeconds.observe({ decision: report.payload.decision }, NexusMetrics.secondsSince(askedAt, Date.parse(report.ts)));
      break;
    case 'ask_expired':
      metrics.asksEnded.inc({ outcome: 'expired' });
      break;
    case 'task_completed':
      metrics.commandsEnded.inc({ outcome: 'completed' });
      break;
    case 'task_failed':
      metrics.commandsEnded.inc({ outcome: 'failed' });
      break;
    case 'task_cancelled':
      metrics.commandsEnded.inc({ outcome: 'cancelled' });
      break;
    default:
      break;
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

/** What an unsealed body says about itself, only to tell the operator; nothing of it is trusted. */
function claimsOf(msg: ConsumeMessage): { claimed_org?: string; claimed_report_id?: string } {
  try {
    const body = JSON.parse(msg.content.toString('utf8')) as { org_id?: unknown; report_id?: unknown };
    return {
      ...(typeof body.org_id === 'string' ? { claimed_org: body.org_id.slice(0, 64) } : {}),
      ...(typeof body.report_id === 'string' ? { claimed_report_id: body.report_id.slice(0, 400) } : {}),
    };
  } catch {
    return {};
  }
}
