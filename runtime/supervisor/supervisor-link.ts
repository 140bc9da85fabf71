import { coreMetricsText, type MetricsPart } from '../../infra/metrics/metrics-text.js';
import type { NexusMetrics } from '../../infra/metrics/nexus-metrics.js';
import { MetricsRequests } from './metrics-requests.js';
import { isSupervisorMessage, SIBLING_METRICS_TIMEOUT_MS, type SupervisorMessage } from './supervisor-messages.js';

/**
 * A role process's side of its link to `./nexus start` (runtime/supervisor/role-supervisor.ts): says when it is
 * ready, answers for its metrics, asks for its siblings' (an API), and learns when the supervisor is gone, so a role
 * process never outlives the command that started it, even one killed with SIGKILL.
 */
export class SupervisorLink {
  private readonly requests = new MetricsRequests();

  private constructor(private readonly send: (message: SupervisorMessage) => void) {
    process.on('message', (message: unknown) => {
      if (!isSupervisorMessage(message) || message.kind !== 'metrics-reply') return;
      this.requests.settle(message.id, message.parts);
    });
  }

  /** The link when this process was started by `./nexus start` (it has an IPC channel); otherwise undefined. */
  static open(): SupervisorLink | undefined {
    const send = process.send?.bind(process);
    if (!send) return undefined;
    return new SupervisorLink((message) => {
      if (process.connected) send(message);
    });
  }

  ready(): void {
    this.send({ kind: 'ready' });
  }

  /** Runs `gone` once when the supervisor's end of the channel closes (it stopped, or was killed). */
  onSupervisorGone(gone: () => void): void {
    process.once('disconnect', gone);
  }

  /** Answers the supervisor's requests with this process's metrics (and its Temporal core's, with a worker). */
  answerMetrics(metrics: NexusMetrics, coreUrl: () => string | undefined): void {
    process.on('message', (message: unknown) => {
      if (!isSupervisorMessage(message) || message.kind !== 'metrics-request') return;
      void (async () => {
        const part = { metrics: await metrics.registry.getMetricsAsJSON(), text: await coreMetricsText(coreUrl()) };
        this.send({ kind: 'metrics-reply', id: message.id, parts: [part] });
      })();
    });
  }

  /** The other role processes' metrics; what arrived within SIBLING_METRICS_TIMEOUT_MS (nothing, if none). */
  siblingMetrics(): Promise<MetricsPart[]> {
    return this.requests.ask((id) => this.send({ kind: 'metrics-request', id }), SIBLING_METRICS_TIMEOUT_MS);
  }
}
