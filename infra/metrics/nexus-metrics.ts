import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { withDeadline } from '../deadline.js';

/** Seconds from a report's workflow stamp to a hop; the last buckets catch a backlog drained after an outage. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Seconds from an ask to its decision: people take minutes to days. */
const DECISION_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600];

/**
 * Every metric NEXUS defines, in one registry per running NEXUS (tests start several in one process). Labels are
 * low-cardinality by design: no tenant, correlation id or user is ever a label, so `/metrics` says how NEXUS runs,
 * never whose work it ran.
 */
export class NexusMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'nexus_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'nexus_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (a stream: until its response headers)',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly commandsStarted = new Counter({
    name: 'nexus_commands_started_total',
    help: 'Commands whose workflow reported command_accepted, by type (agent.run, instruction)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly commandsEnded = new Counter({
    name: 'nexus_commands_ended_total',
    help: 'Commands that reached their terminal report, by outcome (completed, failed, cancelled)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly asksCreated = new Counter({
    name: 'nexus_asks_created_total',
    help: 'Approval asks created, by risk level',
    labelNames: ['risk_level'] as const,
    registers: [this.registry],
  });
  readonly asksEnded = new Counter({
    name: 'nexus_asks_ended_total',
    help: 'Approval asks settled, by outcome (approve, deny, expired, withdrawn)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly decisionSeconds = new Histogram({
    name: 'nexus_ask_decision_seconds',
    help: 'From ask_created to the decision that settled it',
    labelNames: ['decision'] as const,
    buckets: DECISION_BUCKETS,
    registers: [this.registry],
  });

  readonly bridgeReports = new Counter({
    name: 'nexus_bridge_reports_total',
    help: 'Reports the bridge took from RabbitMQ, by result (stored, duplicate: already in Redis)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly bridgeRedeliveries = new Counter({
    name: 'nexus_bridge_redeliveries_total',
    help: 'Messages RabbitMQ delivered again (a bridge or connection died before its ack)',
    registers: [this.registry],
  });
  readonly bridgeDeadLetters = new Counter({
    name: 'nexus_bridge_dead_letters_total',
    help: 'Messages the bridge dead-lettered, by reason (unsealed, invalid, poison)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly storeLag = new Histogram({
    name: 'nexus_report_store_lag_seconds',
    help: 'From the workflow stamping a report to the bridge storing it in Redis',
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });

  /** Where the open streams are counted (the API's per-token limiter); none in a process without the API. */
  private openStreams: () => number = () => 0;
  readonly sseClients: Gauge = new Gauge({
    name: 'nexus_sse_clients',
    help: 'Open report streams',
    registers: [this.registry],
    collect: (): void => this.sseClients.set(this.openStreams()),
  });
  readonly sseReports = new Counter({
    name: 'nexus_sse_reports_total',
    help: 'Reports written to report streams, by phase (replay: history a client missed; live; page: a bounded page)',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });
  readonly sseGaps = new Counter({
    name: 'nexus_sse_gap_events_total',
    help: 'gap events sent: a client resumed from a cursor older than the retained history',
    registers: [this.registry],
  });
  readonly sseBackendFaults = new Counter({
    name: 'nexus_sse_backend_faults_total',
    help: 'Streams ended because the report store failed (event: error, backend_unavailable)',
    registers: [this.registry],
  });
  readonly deliveryLag = new Histogram({
    name: 'nexus_sse_delivery_lag_seconds',
    help: 'From the workflow stamping a report to writing it to the live streams of its tenant (once per report and API process, however many clients; not replays)',
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });

  constructor(role: string) {
    this.registry.setDefaultLabels({ nexus_role: role });
    collectDefaultMetrics({ register: this.registry, prefix: 'nexus_' });
  }

  /**
   * `nexus_asks_open`, on the processes that serve the API only (one count of a shared store, not one per role). A
   * read that fails or is slow leaves the last value: a scrape never waits on Redis for long.
   */
  countOpenAsksWith(count: () => Promise<number>, timeoutMs: number): void {
    const gauge: Gauge = new Gauge({
      name: 'nexus_asks_open',
      help: 'Approval asks that can still be decided, in every tenant',
      registers: [this.registry],
      collect: async (): Promise<void> => {
        const open = await withDeadline(count(), timeoutMs).catch(() => undefined);
        if (open !== undefined) gauge.set(open);
      },
    });
  }

  /** Reads the open-stream gauge from the counter that already limits them, instead of keeping a second count. */
  countStreamsWith(openStreams: () => number): void {
    this.openStreams = openStreams;
  }

  /** Seconds since an ISO stamp, never negative (clocks of two machines can disagree a little). */
  static secondsSince(iso: string, now = Date.now()): number {
    const at = Date.parse(iso);
    return Number.isNaN(at) ? 0 : Math.max(0, (now - at) / 1000);
  }
}
