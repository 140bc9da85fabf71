import { connect, type Socket } from 'node:net';
import type { Tenant } from '../contracts/index.js';
import { SseIdScanner } from './sse-id-scanner.js';
import { nowMs } from './sse-waiter.js';
import { withTimeout } from './with-timeout.js';

/**
 * One read buffer for every client: each socket's bytes are scanned inside the read callback, before the next
 * read can reuse it (`net.connect`'s `onread`), so 10,000 clients allocate nothing per read.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * One dashboard's `GET /agent/reports/stream` on a raw socket, read by an `SseIdScanner` (no HTTP parser or stream
 * per client). Each id's delivery delay (receipt − the ms Redis appended it, which begins the id) goes into `delays`.
 */
class FanoutClient {
  /** Reports received; the stream sends each id at most once and in order, so count plus last id pins the set. */
  count = 0;
  lastId = '';
  failure: string | undefined;
  live = false;
  private readonly scanner: SseIdScanner;
  /** When the read being scanned arrived: one clock reading per read, as every id in it arrived together. */
  private receivedAt = 0;
  private closed = false;
  private socket: Socket | undefined;
  private settleOpen: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(
    private readonly index: number,
    private readonly delays: number[],
    /** Told of every id and every drop, so the set knows when all are done without polling 10,000 clients. */
    private readonly events: { id(id: string): void; dropped(reason: string): void },
  ) {
    this.scanner = new SseIdScanner({
      id: (id, appendedMs) => {
        this.delays.push(this.receivedAt - appendedMs);
        this.count++;
        this.lastId = id;
        this.events.id(id);
      },
      live: () => {
        this.live = true;
        this.settleOpen?.resolve();
      },
      fail: (reason) => this.fail(reason),
    });
  }

  /** Resolves at the `live` event: history (none after the cursor) replayed, live delivery from here on. */
  open(url: URL, request: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.settleOpen = { resolve, reject };
      const socket = connect({
        host: url.hostname,
        port: Number(url.port),
        onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => {
          this.receivedAt = nowMs();
          this.scanner.push((buf as Buffer).subarray(0, n));
          return true;
        } },
      });
      this.socket = socket;
      socket.once('connect', () => socket.write(request));
      socket.on('close', () => this.fail('the stream closed'));
      socket.on('error', (err) => this.fail(err.message));
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private fail(reason: string): void {
    if (this.closed || this.failure !== undefined) return;
    this.failure = `client ${this.index}: ${reason}`;
    this.settleOpen?.reject(new Error(this.failure));
    this.events.dropped(this.failure);
    this.socket?.destroy();
  }
}

/**
 * N dashboards of one tenant, each on its own socket, resumed after `cursor` so they measure live fan-out rather
 * than replaying the history earlier cases left on the tenant's stream.
 */
export class FanoutClients {
  /** Every client's delivery delays (ms), one flat array: 10,000 clients × 100 reports is a million samples. */
  readonly delays: number[] = [];
  private readonly clients: FanoutClient[] = [];
  /** The request every client sends, built once. */
  private readonly request: Buffer;
  private awaitedId: string | undefined;
  private reached = 0;
  private waiting: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(private readonly url: URL, tenant: Tenant, cursor: string) {
    const headers = [
      `GET ${url.pathname}${url.search} HTTP/1.1`,
      `host: ${url.host}`,
      'accept: text/event-stream',
      `x-org-id: ${tenant.org_id}`,
      `x-project-id: ${tenant.project_id}`,
      ...(cursor !== '0-0' ? [`last-event-id: ${cursor}`] : []),
    ];
    this.request = Buffer.from(`${headers.join('\r\n')}\r\n\r\n`);
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
        return client.open(this.url, this.request);
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
  }

  private onId(id: string): void {
    if (id !== this.awaitedId) return;
    this.reached++;
    if (this.reached === this.clients.length) this.waiting?.resolve();
  }
}
