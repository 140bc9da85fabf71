import type { MetricsPart } from '../../infra/metrics/metrics-text.js';

/**
 * Metrics asked for over the IPC channel, each awaited under its own id until its reply arrives or `timeoutMs` pass
 * (then it answers with nothing): the supervisor asking a role process, and an API asking the supervisor.
 */
export class MetricsRequests {
  private nextId = 1;
  private readonly waiting = new Map<number, (parts: MetricsPart[]) => void>();

  ask(send: (id: number) => void, timeoutMs: number): Promise<MetricsPart[]> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve([]);
      }, timeoutMs);
      this.waiting.set(id, (parts) => {
        clearTimeout(timer);
        resolve(parts);
      });
      send(id);
    });
  }

  /** A reply: settles its request, if it is still waited for. */
  settle(id: number, parts: MetricsPart[]): void {
    this.waiting.get(id)?.(parts);
    this.waiting.delete(id);
  }
}
