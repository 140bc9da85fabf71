import { Agent, request, type ClientRequest } from 'node:http';
import type { Tenant } from '../contracts/index.js';
import { nowMs } from './sse-waiter.js';
import { withTimeout } from './with-timeout.js';

/**
 * One dashboard's `GET /agent/reports/stream`, read as cheaply as possible so that thousands share one event loop:
 * only `id:` lines (each report has exactly one) and the `live` event are looked at; data lines are skipped unparsed.
 * Each id's delivery delay (receipt − the ms Redis appended it, which begins the id) goes straight into `delays`.
 */
class FanoutClient {
  /** Reports received; the stream sends each id at most once and in order, so count plus last id pins the set. */
  count = 0;
  lastId = '';
  failure: string | undefined;
  live = false;
  private partial = '';
  private closed = false;
  private req: ClientRequest | undefined;
  private settleOpen: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(
    private readonly index: number,
    private readonly delays: number[],
    /** Told of every id and every drop, so the set knows when all are done without polling 10,000 clients. */
    private readonly events: { id(id: string): void; dropped(reason: string): void },
  ) {}

  /** Resolves at the `live` event: history (none after the cursor) replayed, live delivery from here on. */
  open(url: URL, headers: Record<string, string>, agent: Agent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.settleOpen = { resolve, reject };
      const req = request(url, { agent, headers });
      this.req = req;
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body = (body + chunk).slice(0, 500)));
          res.on('end', () => this.fail(`answered ${res.statusCode}: ${body}`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.read(chunk));
        res.on('close', () => this.fail('the stream closed'));
      });
      req.on('error', (err) => this.fail(err.message));
      req.end();
    });
  }

  close(): void {
    this.closed = true;
    this.req?.destroy();
  }

  private read(chunk: string): void {
    // One clock reading per chunk: every id in it arrived together.
    const receivedAt = nowMs();
    const text = this.partial + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; start = nl + 1, nl = text.indexOf('\n', start)) {
      if (text.startsWith('id: ', start)) {
        const id = text.slice(start + 4, nl);
        // parseInt stops at the '-' of `<ms>-<seq>`.
        this.delays.push(receivedAt - Number.parseInt(id, 10));
        this.count++;
        this.lastId = id;
        this.events.id(id);
      } else if (!this.live && text.startsWith('event: live', start)) {
        this.live = true;
        this.settleOpen?.resolve();
      }
    }
    // The unfinished last line waits for the next chunk.
    this.partial = text.slice(start);
  }

  private fail(reason: string): void {
    if (this.closed || this.failure !== undefined) return;
    this.failure = `client ${this.index}: ${reason}`;
    this.settleOpen?.reject(new Error(this.failure));
    this.events.dropped(this.failure);
  }
}

/**
 * N dashboards of one tenant, each on its own socket (an Agent that never pools or reuses), resumed after `cursor`
 * so they measure live fan-out rather than replaying the history earlier cases left on the tenant's stream.
 */
export class FanoutClients {
  /** Every client's delivery delays (ms), one flat array: 10,000 clients × 100 reports is a million samples. */
  readonly delays: number[] = [];
  private readonly clients: FanoutClient[] = [];
  private readonly agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  private readonly headers: Record<string, string>;
  private awaitedId: string | undefined;
  private reached = 0;
  private waiting: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(private readonly url: URL, tenant: Tenant, cursor: string) {
    this.headers = { accept: 'text/event-stream', 'x-org-id': tenant.org_id, 'x-project-id': tenant.project_id };
    if (cursor !== '0-0') this.headers['last-event-id'] = cursor;
  }

  /**
   * Opens `count` clients `batch` at a time, each batch live before the next starts, so the API is never asked to
   * accept thousands of connections in one burst (that would measure the listen backlog, not fan-out).
   */
  async open(count: number, batch: number, batchTimeoutMs: number, progress: (message: string) => void): Promise<void> {
    for (let first = 0; first < count; first += batch) {
      const opening = Array.from({ length: Math.min(batch, count - first) }, (_, i) => {
        const client = new FanoutClient(first + i, this.delays, {
          id: (id) => this.onId(id),
          dropped: (reason) => this.waiting?.reject(new Error(reason)),
        });
        this.clients.push(client);
        return client.open(this.url, this.headers, this.agent);
      });
      const last = first + opening.length;
      await withTimeout(Promise.all(opening), batchTimeoutMs, () => {
        const waiting = this.clients.slice(first, last).filter((c) => !c.live).length;
        return `clients ${first + 1}-${last}: not all live within ${batchTimeoutMs} ms (${waiting} of ${last - first} without a live event)`;
      });
      if (last % (batch * 10) === 0 || last === count) progress(`fan-out: ${last} of ${count} clients live`);
    }
  }

  /**
   * Resolves once every client has received `lastId` (the last report appended) and exactly `count` reports;
   * rejects when a client drops or `timeoutMs` passes, saying what was awaited and who is missing what.
   */
  async received(lastId: string, count: number, timeoutMs: number): Promise<void> {
    this.awaitedId = lastId;
    this.reached = this.clients.filter((c) => c.lastId === lastId).length;
    if (this.reached < this.clients.length) {
      await withTimeout(new Promise<void>((resolve, reject) => {
        this.waiting = { resolve, reject };
        // A client that dropped while the commands ran will never catch up.
        const dropped = this.clients.find((c) => c.failure !== undefined);
        if (dropped) reject(new Error(dropped.failure));
      }), timeoutMs, () => {
        const behind = this.clients.filter((c) => c.lastId !== lastId);
        const missing = behind.reduce((sum, c) => sum + Math.max(0, count - c.count), 0);
        const dropped = behind.find((c) => c.failure !== undefined)?.failure;
        return `awaited report ${lastId} (${count} reports) on ${this.clients.length} clients for ${timeoutMs} ms: ` +
          `${behind.length} clients lack it, about ${missing} deliveries missing${dropped ? `; ${dropped}` : ''}`;
      });
    }
    const wrong = this.clients.find((c) => c.count !== count);
    if (wrong) throw new Error(`a client received ${wrong.count} reports, the dashboard stream ${count}: fan-out lost or duplicated reports`);
  }

  close(): void {
    for (const client of this.clients) client.close();
    this.agent.destroy();
  }

  private onId(id: string): void {
    if (id !== this.awaitedId) return;
    this.reached++;
    if (this.reached === this.clients.length) this.waiting?.resolve();
  }
}
