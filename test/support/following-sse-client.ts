import type { Tenant } from '../../contracts/index.js';
import { sleep } from '../../infra/backoff.js';
import { SseRecorder, type SseEvent } from './sse-client.js';

/**
 * A dashboard's stream behind a load balancer: when its API goes away it reconnects to the next one with the last
 * id it saw as `Last-Event-ID`, as EventSource does. `events` holds every `report` event of every connection, in
 * the order they arrived, so a test can compare it with the stored stream.
 */
export class FollowingSseClient {
  readonly events: SseEvent[] = [];
  connections = 0;
  private current: SseRecorder | undefined;
  private stopped = false;
  private readonly running: Promise<void>;

  constructor(private readonly baseUrls: readonly string[], private readonly tenant: Tenant, first = 0) {
    this.running = this.follow(first);
  }

  /** Waits until `count` report events arrived, or fails naming how many did. */
  async waitForCount(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.seen().length < count) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} reports; saw ${this.seen().length}`);
      await sleep(100);
    }
  }

  /** Every report event so far, the open connection's included. */
  seen(): SseEvent[] {
    return [...this.events, ...(this.current?.reportEvents ?? [])];
  }

  async stop(): Promise<SseEvent[]> {
    this.stopped = true;
    this.current?.close();
    await this.running;
    return this.events;
  }

  private async follow(first: number): Promise<void> {
    for (let k = first; !this.stopped; k++) {
      const baseUrl = this.baseUrls[k % this.baseUrls.length] ?? '';
      const lastEventId = this.events.at(-1)?.id;
      const recorder = await SseRecorder.open(baseUrl, this.tenant, lastEventId ? { lastEventId } : {}).catch(() => undefined);
      if (!recorder || recorder.status !== 200) {
        await sleep(200);
        continue;
      }
      this.connections++;
      this.current = recorder;
      await recorder.finished;
      this.events.push(...recorder.reportEvents);
      this.current = undefined;
    }
  }
}
