import { createServer, type IncomingMessage, type Server } from 'node:http';
import { closeLocally, listenLocally } from './local-server.js';

export interface NoticeRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  body: unknown;
  /** What this receiver answered. */
  status: number;
}

/**
 * A real local HTTP server standing in for the places approvers are told: a webhook receiver and Slack's
 * incoming-webhook endpoint (which answers `ok` as text, and `no_service` with 404 for a hook that was removed).
 * Every request is recorded, answered or not.
 */
export class NoticeReceiver {
  readonly requests: NoticeRequest[] = [];
  /** Per path: the status to answer, always (a receiver that is down, a Slack hook that was removed). */
  readonly statusOf = new Map<string, number>();
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void readBody(req).then((rawBody) => {
        const path = req.url ?? '/';
        const status = this.statusOf.get(path) ?? 200;
        this.requests.push({ path, headers: req.headers, rawBody, body: parse(rawBody), status });
        const text = status === 200 ? 'ok' : status === 404 ? 'no_service' : 'unavailable';
        res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
      });
    });
    return listenLocally(this.server);
  }

  to(path: string): NoticeRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  stop(): Promise<void> {
    return closeLocally(this.server);
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
}
