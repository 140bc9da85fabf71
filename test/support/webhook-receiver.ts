import { createServer, type IncomingMessage, type Server } from 'node:http';
import { closeLocally, listenLocally } from './local-server.js';

export interface Delivery {
  idempotencyKey: string | undefined;
  correlationId: string | undefined;
  body: unknown;
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A real local HTTP server standing in for the outside world `external_share` talks to. */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  /** Status codes to answer with, in order, before answering 200 (to make the agent retry). */
  failNext: number[] = [];
  /** How many of the next requests to leave unanswered (a receiver that hangs while the sender dies). */
  holdNext = 0;
  /** The requests left unanswered, with when they arrived and when the sender gave up on them: none took effect. */
  readonly held: Array<Delivery & { at: number; closedAt?: number }> = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const status = this.failNext.shift();
        if (status !== undefined) {
          res.writeHead(status).end();
          return;
        }
        const delivery = {
          idempotencyKey: req.headers['idempotency-key'] as string | undefined,
          correlationId: req.headers['x-correlation-id'] as string | undefined,
          body: body ? JSON.parse(body) : undefined,
          rawBody: body,
          headers: req.headers,
        };
        if (this.holdNext > 0) {
          this.holdNext--;
          const held: Delivery & { at: number; closedAt?: number } = { ...delivery, at: Date.now() };
          this.held.push(held);
          req.socket.once('close', () => { held.closedAt = Date.now(); });
          return;
        }
        this.deliveries.push(delivery);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    return listenLocally(this.server);
  }

  stop(): Promise<void> {
    return closeLocally(this.server);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}
